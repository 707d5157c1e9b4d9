// An image-level clone: a reflink copy of the expanded raw image (one FICLONE ioctl through
// fs.copyFile, no process spawned), loop-mounted. The image's own size bounds what a runaway
// clone can write; its blocks are shared with the image until written.
import { constants } from "node:fs";
import { copyFile, chmod, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { CloneError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { isRoot, run } from "../../runtime/exec.js";
import type { DiskAttachment } from "../types.js";
import { detachLoop, DISK_MOUNT_OPTIONS, readLoopDevices, unmountPath } from "../qcow2/mounts.js";
import { failFastOnWriteErrors } from "../qcow2/xfs-error-policy.js";
import type { PoolCloneOwner } from "./expanded-index.js";
import { ownerFileOf } from "./pool-layout.js";
import { dataExtents } from "./extents.js";
import { loopDeviceAt } from "./loop-at.js";
import { mountUntimed } from "./untimed-loop.js";

/** Owner record first, then the copy: a crash in between leaves something gc can attribute. */
export async function reflinkCopy(imageFile: string, cloneFile: string, owner: PoolCloneOwner): Promise<void> {
  await writeFile(ownerFileOf(cloneFile), JSON.stringify(owner), { mode: 0o600, flag: "wx" }).catch((e: NodeJS.ErrnoException) => {
    throw e.code === "EEXIST" ? new CloneError(`the reflink pool already holds a clone disk ${cloneFile}; run dbclone gc`) : e;
  });
  try {
    await copyFile(imageFile, cloneFile, constants.COPYFILE_FICLONE_FORCE | constants.COPYFILE_EXCL);
    await chmod(cloneFile, 0o600);
  } catch (e) {
    await rm(cloneFile, { force: true });
    await rm(ownerFileOf(cloneFile), { force: true });
    throw new CloneError(`reflink copy of ${imageFile} failed: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Every disk's options (DISK_MOUNT_OPTIONS: nosuid, nodev, nouuid), and noatime: a new clone's first read of
 * each file would otherwise update its atime (relatime: the image's atimes are older than a day or
 * than its mtimes), and those inode updates ride along in the XFS log force of the next fsync
 * (a durable clone's commits) through both loop devices, for a time nobody reads.
 */
export const CLONE_MOUNT_OPTIONS = `${DISK_MOUNT_OPTIONS},noatime`;

/**
 * Mount the clone file, on a loop device that does not move the file's timestamps when the pool
 * allows it (untimed-loop.ts: a durable clone's commits then skip the pool's log), else `mount -o loop`.
 */
export async function attachClone(driver: string, cloneFile: string, mountPath: string, reporter: Reporter): Promise<DiskAttachment> {
  mountPath = path.resolve(mountPath);
  await mkdir(mountPath, { recursive: true });
  const untimed = await mountUntimed(cloneFile, mountPath, CLONE_MOUNT_OPTIONS, reporter);
  if ("cannot" in untimed) {
    noteTimedFallback(untimed.cannot, reporter);
    await run("mount", ["-t", "xfs", "-o", CLONE_MOUNT_OPTIONS, cloneFile, mountPath], { privileged: true, reporter, timeoutMs: 60_000, packageHint: "mount" });
  }
  const attachment: DiskAttachment = { driver, file: cloneFile, mountPath, handles: {} };
  try {
    const loopDevice = await loopDeviceAt(mountPath, cloneFile);
    attachment.handles = { loopDevice };
    await failFastOnWriteErrors(loopDevice);
    if (!isRoot()) await run("chown", [`${process.getuid?.()}:${process.getgid?.()}`, mountPath], { privileged: true, reporter });
    return attachment;
  } catch (e) {
    // Mounted but not handed back: nobody else would undo it, so undo it here rather than leave it to gc.
    await detachClone(attachment, reporter).catch(() => undefined);
    throw e;
  }
}

let fallbackNoted = false;
/** Once per process: a durable clone is slower this way (a pool log force per commit), which is worth knowing, not repeating. */
function noteTimedFallback(reason: string, reporter: Reporter): void {
  if (fallbackNoted) return;
  fallbackNoted = true;
  reporter.info(`Clone disks are attached with \`mount -o loop\` (${reason}); durable clones pay a pool log force per commit for the file's timestamps.`);
}

/** Filesystem first, then any loop device still on the clone's file (autoclear normally took it). */
export async function detachClone(attachment: DiskAttachment, reporter: Reporter): Promise<void> {
  await unmountPath(attachment.mountPath, reporter);
  for (const loop of await readLoopDevices()) if (loop.backingFile === attachment.file) await detachLoop(loop.device, reporter);
}

export async function removeCloneFile(cloneFile: string): Promise<void> {
  await rm(cloneFile, { force: true });
  await rm(ownerFileOf(cloneFile), { force: true });
}

/** Bytes of `file` not shared with any other file (its own writes), from the extent map. */
export async function ownBytes(file: string, reporter: Reporter): Promise<number> {
  const extents = await dataExtents(file, reporter).catch(() => []);
  return extents.filter((e) => !e.shared).reduce((sum, e) => sum + e.length, 0);
}
