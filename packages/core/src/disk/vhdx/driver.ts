// The Windows disk driver: a VHDX holding one NTFS partition (64K clusters, GPT, no drive letter)
// mounted to an empty folder. Clones are diskpart differencing children of a read-only base.
// All Windows work goes through a WindowsScriptRunner so tests can record every script.
import { chmod, copyFile, link, mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { CloneError, DigestMismatchError } from "../../errors.js";
import { silentReporter, type Reporter } from "../../reporter.js";
import { realWindowsRunner, type WindowsScriptRunner } from "../../runtime/powershell.js";
import type { ChildDisk, DiskAttachment, DiskDriver, DiskResource, SealedDisk, StagingDisk } from "../types.js";
import { sha256File } from "../../image/digest.js";
import type { StampedDigestCache } from "../../util/stamped-digests.js";
import { baseDigestCache } from "../base-digests.js";
import { checkVhdxPrerequisites } from "./prerequisites.js";
import { retryWithBackoff } from "./retry.js";
import { ATTACH_AND_MOUNT_PS, DESCRIBE_PS, FORMAT_AND_MOUNT_PS, LIST_DISKS_PS, UNMOUNT_PS, createBaseDiskpart, createChildDiskpart } from "./scripts.js";

export interface VhdxDriverOptions {
  /** Where the driver keeps the verified-digest cache of sealed bases. */
  stateDir: string;
  reporter?: Reporter;
  /** Default: PowerShell, diskpart and commands on this host. */
  runner?: WindowsScriptRunner;
  /** Tests run the driver's logic on Linux; the real check refuses anything but win32. */
  platform?: NodeJS.Platform;
  /** Path semantics, default path.win32; tests on Linux pass path.posix to use real temp files. */
  paths?: path.PlatformPath;
  /** Backoff sleep for deletes (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>;
}

interface MountResult {
  diskNumber: number;
  partitionNumber: number;
  accessPath: string;
}

export class VhdxDriver implements DiskDriver {
  readonly name = "vhdx";
  readonly format = "vhdx";
  private readonly reporter: Reporter;
  private readonly runner: WindowsScriptRunner;
  private readonly digests: StampedDigestCache;
  private readonly win: path.PlatformPath;

  constructor(private readonly options: VhdxDriverOptions) {
    this.reporter = options.reporter ?? silentReporter;
    this.runner = options.runner ?? realWindowsRunner({ reporter: this.reporter });
    this.digests = baseDigestCache(options.stateDir);
    this.win = options.paths ?? path.win32;
  }

  checkPrerequisites(): Promise<void> {
    return checkVhdxPrerequisites(this.runner, this.options.platform);
  }

  async createStaging(file: string, mountPath: string, virtualSizeBytes: number): Promise<StagingDisk> {
    file = this.win.resolve(file);
    mountPath = this.win.resolve(mountPath);
    await mkdir(this.win.dirname(file), { recursive: true });
    await this.runner.diskpart("create staging vhdx", createBaseDiskpart(file, virtualSizeBytes));
    try {
      const m = await this.runner.powershell<MountResult>("format and mount staging", FORMAT_AND_MOUNT_PS, { file, mountPath, label: "dbclone" });
      const attachment = this.attachmentFor(file, mountPath, m);
      return { file, mountPath, attachment };
    } catch (e) {
      await this.destroy(file); // the script detached it already on its own failure
      throw e;
    }
  }

  /** Detach, move to `outFile`, mark read-only (children keep the parent's path: it must not move again). */
  async seal(staging: StagingDisk, outFile: string): Promise<SealedDisk> {
    outFile = this.win.resolve(outFile);
    await this.unmount(staging.attachment);
    if (this.win.resolve(staging.file) !== outFile) {
      await mkdir(this.win.dirname(outFile), { recursive: true });
      await retryWithBackoff(() => rename(staging.file, outFile), { sleep: this.options.sleep });
    }
    await chmod(outFile, 0o444); // on Windows: the read-only attribute
    const { digest } = await this.digests.digestOf(outFile, sha256File);
    const info = await this.runner.powershell<{ virtualSizeBytes: number }>("describe sealed vhdx", DESCRIBE_PS, { file: outFile });
    const s = await stat(outFile);
    this.reporter.info(`Sealed ${outFile} (${digest}); children refer to it by this path, so it must stay here.`);
    return { file: outFile, digest, sizeBytes: s.size, virtualSizeBytes: info.virtualSizeBytes };
  }

  async createChild(parentFile: string, childFile: string, expectedDigest?: string): Promise<ChildDisk> {
    parentFile = this.win.resolve(parentFile);
    childFile = this.win.resolve(childFile);
    const s = await stat(parentFile);
    // A writable base could change under live children and silently corrupt every clone.
    if (s.mode & 0o222) {
      throw new CloneError(`Base disk ${parentFile} is writable; refusing to clone it. Mark it read-only: attrib +R "${parentFile}"`);
    }
    if (expectedDigest) {
      const { digest } = await this.digests.digestOf(parentFile, sha256File);
      if (digest !== expectedDigest) {
        throw new DigestMismatchError(
          `Base disk ${parentFile} has changed: its digest is ${digest}, the image says ${expectedDigest}. ` +
            "Delete it from the local cache and pull the image again.",
        );
      }
    }
    const parent = await this.withVhdxExtension(parentFile, expectedDigest);
    await mkdir(this.win.dirname(childFile), { recursive: true });
    await this.runner.diskpart("create child vhdx", createChildDiskpart(childFile, parent));
    return { file: childFile, parents: [parent] };
  }

  /**
   * The virtual disk service picks the format by extension (.vhd or .vhdx), and a repository blob
   * is named by its digest alone: such a parent gets a hard link <stateDir>/bases/<hex>.vhdx (the
   * same read-only file; a copy when the cache is on another volume). Children keep this path.
   */
  private async withVhdxExtension(parentFile: string, digest?: string): Promise<string> {
    if (/\.vhdx$/i.test(parentFile)) return parentFile;
    const name = `${(digest ?? "").replace(/^sha256:/, "") || this.win.basename(parentFile)}.vhdx`;
    const linked = this.win.join(this.options.stateDir, "bases", name);
    await mkdir(this.win.dirname(linked), { recursive: true });
    try {
      await link(parentFile, linked);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") {
        const [a, b] = await Promise.all([stat(parentFile), stat(linked)]);
        if (a.ino === b.ino && a.dev === b.dev) return linked;
        throw new CloneError(`${linked} exists and is not the base ${parentFile}; remove it (no clone may use it) and clone again.`);
      }
      if (code !== "EXDEV") throw e;
      await copyFile(parentFile, linked);
      await chmod(linked, 0o444);
    }
    return linked;
  }

  async mount(child: ChildDisk, mountPath: string): Promise<DiskAttachment> {
    const file = this.win.resolve(child.file);
    mountPath = this.win.resolve(mountPath);
    const m = await this.runner.powershell<MountResult>("attach and mount child", ATTACH_AND_MOUNT_PS, { file, mountPath });
    return this.attachmentFor(file, mountPath, m);
  }

  async unmount(attachment: DiskAttachment): Promise<void> {
    await this.runner.powershell("unmount and detach", UNMOUNT_PS, { file: attachment.file, mountPath: attachment.mountPath });
  }

  /** Retries with backoff: a handle left open (SQL Server, antivirus, a slow detach) locks the file a while. */
  async destroy(file: string): Promise<void> {
    await retryWithBackoff(() => rm(this.win.resolve(file), { force: true }), { sleep: this.options.sleep });
  }

  async list(rootDir: string): Promise<DiskResource[]> {
    const root = this.win.resolve(rootDir);
    const disks = (await this.runner.powershell<{ file: string; attached: boolean; accessPaths: string[] }[]>("list disks", LIST_DISKS_PS, { root })) ?? [];
    const mounts: DiskResource[] = [];
    const files: DiskResource[] = [];
    for (const d of disks) {
      const ownerDir = this.win.dirname(d.file);
      // Mounts first: releasing in list order never deletes a file that is still attached.
      if (d.attached) mounts.push({ kind: "mount", id: d.file, ownerDir, detail: (d.accessPaths ?? []).join(";") });
      files.push({ kind: "file", id: d.file, ownerDir });
    }
    return [...mounts, ...files];
  }

  async release(resource: DiskResource): Promise<void> {
    if (resource.kind === "mount") {
      const mountPath = (resource.detail ?? "").split(";")[0] ?? "";
      await this.runner.powershell("unmount and detach", UNMOUNT_PS, { file: resource.id, mountPath });
    } else if (resource.kind === "file") {
      await this.destroy(resource.id);
    } else {
      throw new CloneError(`The vhdx driver makes no ${resource.kind} resources; ${resource.id} is not ours to release.`);
    }
  }

  private attachmentFor(file: string, mountPath: string, m: MountResult): DiskAttachment {
    return { driver: this.name, file, mountPath, handles: { diskNumber: m.diskNumber, partitionNumber: m.partitionNumber } };
  }
}
