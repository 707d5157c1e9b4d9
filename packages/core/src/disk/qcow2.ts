// The Linux disk driver: qcow2 files holding XFS, exported as raw files by qemu-storage-daemon
// over FUSE and loop-mounted. Clones are qcow2 children whose base is only ever opened read-only.
import { chmod, mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { CloneError, CommandError, DigestMismatchError } from "../errors.js";
import { run, isRoot } from "../runtime/exec.js";
import { silentReporter, type Reporter } from "../reporter.js";
import type { ChildDisk, DiskAttachment, DiskLayer, DiskResource, LayeredDiskDriver, SealedDisk, StagingDisk } from "./types.js";
import { exportPathsFor, startExport, stopExport, type ExportHandle } from "./qcow2/export.js";
import { readLoopDevices, detachLoop, DISK_MOUNT_OPTIONS, unmountPath, waitForLoopRelease } from "./qcow2/mounts.js";
import { backingChain, convertCompact, createChildImage, createChildOverLayer, createImage, imageInfo } from "./qcow2/qemu-img.js";
import { flattenChain, sealChildAsLayer } from "./qcow2/layers.js";
import { sha256File } from "../image/digest.js";
import type { StampedDigestCache } from "../util/stamped-digests.js";
import { baseDigestCache } from "./base-digests.js";
import { checkQcow2Prerequisites } from "./qcow2/prerequisites.js";
import { listLeftovers, releaseLeftover } from "./qcow2/leftovers.js";
import { failFastOnWriteErrors } from "./qcow2/xfs-error-policy.js";
import { assertFilesystemAlive, freezeThaw } from "./qcow2/xfs-quiesce.js";

export interface Qcow2DriverOptions {
  /** Where the driver keeps its own state (the verified-digest cache). */
  stateDir: string;
  reporter?: Reporter;
  /** Report the whole backing chain as `parents` (one extra qemu-img call, ~10 ms). Default false. */
  resolveParentChain?: boolean;
}

export class Qcow2Driver implements LayeredDiskDriver {
  readonly name = "qcow2";
  readonly format = "qcow2";
  private readonly reporter: Reporter;
  private readonly digests: StampedDigestCache;

  constructor(private readonly options: Qcow2DriverOptions) {
    this.reporter = options.reporter ?? silentReporter;
    this.digests = baseDigestCache(options.stateDir);
  }

  checkPrerequisites(): Promise<void> {
    return checkQcow2Prerequisites();
  }

  async createStaging(file: string, mountPath: string, virtualSizeBytes: number): Promise<StagingDisk> {
    file = path.resolve(file);
    await mkdir(path.dirname(file), { recursive: true });
    await createImage(file, virtualSizeBytes, this.reporter);
    const handle = await startExport(file, this.reporter);
    try {
      // -K: skip discarding the (already empty) device; defaults otherwise (crc, reflink, 4 KiB blocks).
      await run("mkfs.xfs", ["-q", "-K", handle.exportFile], { privileged: true, reporter: this.reporter, packageHint: "xfsprogs" });
      const attachment = await this.loopMount(file, handle, mountPath);
      return { file, mountPath: attachment.mountPath, attachment };
    } catch (e) {
      await stopExport(handle, this.reporter);
      throw e;
    }
  }

  async seal(staging: StagingDisk, outFile: string): Promise<SealedDisk> {
    outFile = path.resolve(outFile);
    await this.trim(staging.mountPath);
    await assertFilesystemAlive(staging.mountPath);
    await this.unmount(staging.attachment);
    const tmp = `${outFile}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await convertCompact(staging.file, tmp, this.reporter);
      const fh = await open(tmp, "r");
      await fh.sync().finally(() => fh.close());
      await chmod(tmp, 0o444);
      const digest = await sha256File(tmp);
      await rename(tmp, outFile);
      const info = await imageInfo(outFile, this.reporter);
      const s = await stat(outFile);
      await this.digests.remember(outFile, digest);
      return { file: outFile, digest, sizeBytes: s.size, virtualSizeBytes: info["virtual-size"] };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async createChild(parentFile: string, childFile: string, expectedDigest?: string): Promise<ChildDisk> {
    parentFile = path.resolve(parentFile);
    childFile = path.resolve(childFile);
    await this.checkLayer(parentFile, expectedDigest);
    await mkdir(path.dirname(childFile), { recursive: true });
    await createChildImage(parentFile, childFile, this.reporter);
    if (!this.options.resolveParentChain) return { file: childFile, parents: [parentFile] };
    const chain = await backingChain(childFile, this.reporter);
    return { file: childFile, parents: chain.slice(1).map((i) => i.filename) };
  }

  /** A child over published layers (nearest first); mount() assembles the chain explicitly. */
  async createLayeredChild(layers: DiskLayer[], childFile: string): Promise<ChildDisk> {
    if (layers.length === 0) throw new CloneError("createLayeredChild needs at least one layer.");
    const files = layers.map((l) => path.resolve(l.file));
    childFile = path.resolve(childFile);
    for (const [i, layer] of layers.entries()) await this.checkLayer(files[i]!, layer.digest);
    const info = await imageInfo(files[0]!, this.reporter);
    await mkdir(path.dirname(childFile), { recursive: true });
    await createChildOverLayer(files[0]!, childFile, info["virtual-size"], this.reporter);
    return { file: childFile, parents: files };
  }

  sealLayer(child: ChildDisk, outFile: string): Promise<SealedDisk> {
    return sealChildAsLayer(child, outFile, this.reporter);
  }

  flatten(child: ChildDisk, outFile: string): Promise<SealedDisk> {
    return flattenChain(child, outFile, this.reporter);
  }

  /** A layer others can write could change under live clones; one whose digest changed is refused. */
  async rememberVerified(file: string, digest: string): Promise<void> {
    await this.digests.remember(file, digest);
  }

  private async checkLayer(file: string, expectedDigest?: string): Promise<void> {
    const s = await stat(file);
    if (s.mode & 0o002) {
      throw new CloneError(`Base disk ${file} is writable by everyone; refusing to clone it. Make it read-only: chmod 0444 ${file}`);
    }
    if (s.mode & 0o222) this.reporter.warn(`Base disk ${file} is writable (mode ${(s.mode & 0o777).toString(8)}); sealed bases should be 0444.`);
    if (!expectedDigest) return;
    const { digest } = await this.digests.digestOf(file, sha256File);
    if (digest !== expectedDigest) {
      throw new DigestMismatchError(
        `Base disk ${file} has changed: its digest is ${digest}, the image says ${expectedDigest}. ` +
          `The base must never be modified; delete it from the local cache and pull the image again.`,
      );
    }
  }

  async mount(child: ChildDisk, mountPath: string): Promise<DiskAttachment> {
    const file = path.resolve(child.file);
    // The parents are opened explicitly (read-only), so layers need no backing path in their headers.
    const handle = await startExport(
      file,
      this.reporter,
      child.parents.map((p) => path.resolve(p)),
    );
    try {
      return await this.loopMount(file, handle, mountPath);
    } catch (e) {
      await stopExport(handle, this.reporter);
      throw e;
    }
  }

  /** Safe order: filesystem → loop device → daemon → dead FUSE mount → export file. */
  async unmount(attachment: DiskAttachment): Promise<void> {
    const defaults = exportPathsFor(attachment.file);
    const exportFile = String(attachment.handles.exportFile ?? defaults.exportFile);
    const pidFile = String(attachment.handles.pidFile ?? defaults.pidFile);
    await unmountPath(attachment.mountPath, this.reporter);
    // `mount -o loop` sets autoclear, so the loop goes when the filesystem is really gone. One
    // still bound is a filesystem still alive: stopping the daemon now would pull its device away
    // and leave it in the kernel for good, so the daemon stays until the holder lets go (then gc).
    const held = await waitForLoopRelease(exportFile);
    for (const loop of held) await detachLoop(loop.device, this.reporter);
    const still = (await readLoopDevices()).filter((l) => l.backingFile === exportFile);
    if (still.length > 0) {
      throw new CommandError(
        `The filesystem of ${attachment.mountPath} is still alive on ${still.map((l) => l.device).join(", ")} after unmounting (a process still uses it); its disk daemon is kept running so it can finish. Stop what uses it, then run gc.`,
        "umount",
        null,
        "",
      );
    }
    const pid = typeof attachment.handles.daemonPid === "number" ? attachment.handles.daemonPid : undefined;
    await stopExport({ pid, exportFile, pidFile }, this.reporter);
  }

  async destroy(file: string): Promise<void> {
    await rm(path.resolve(file), { force: true });
  }

  list(rootDir: string): Promise<DiskResource[]> {
    return listLeftovers(rootDir);
  }

  release(resource: DiskResource): Promise<void> {
    return releaseLeftover(resource, this.reporter);
  }

  /**
   * Give freed blocks back to the qcow2 (loop discard → FUSE fallocate → qcow2 discard) so deleted
   * data is neither copied into nor published with the blob. XFS's FITRIM skips extents freed by
   * transactions not yet checkpointed ("busy"); a freeze/thaw quiesces the log so none are left
   * (through one descriptor: see xfs-quiesce.ts for why a separate thaw could leave it frozen).
   */
  async trim(mountPath: string): Promise<void> {
    await freezeThaw(mountPath, this.reporter);
    const opts = { privileged: true, allowFailure: true, reporter: this.reporter, packageHint: "util-linux" };
    const r = await run("fstrim", [mountPath], opts);
    if (r.code !== 0) this.reporter.warn(`fstrim ${mountPath} failed (${r.stderr.trim()}); the sealed blob may still hold freed blocks.`);
  }

  private async loopMount(file: string, handle: ExportHandle, mountPath: string): Promise<DiskAttachment> {
    mountPath = path.resolve(mountPath);
    await mkdir(mountPath, { recursive: true });
    await run("mount", ["-t", "xfs", "-o", DISK_MOUNT_OPTIONS, handle.exportFile, mountPath], {
      privileged: true,
      reporter: this.reporter,
      timeoutMs: 60_000,
      packageHint: "mount",
    });
    const loop = (await readLoopDevices()).find((l) => l.backingFile === handle.exportFile);
    await failFastOnWriteErrors(loop?.device);
    if (!isRoot()) await run("chown", [`${process.getuid?.()}:${process.getgid?.()}`, mountPath], { privileged: true, reporter: this.reporter });
    return {
      driver: this.name,
      file,
      mountPath,
      handles: { daemonPid: handle.pid, exportFile: handle.exportFile, pidFile: handle.pidFile, loopDevice: loop?.device },
    };
  }
}
