// The sparse XFS pool file for hosts whose filesystem has no reflinks (ext4): made with
// `mkfs.xfs -m reflink=1`, loop-mounted at <home>/pool, grown in place (truncate, losetup -c,
// xfs_growfs). Only dbclone's own pool file is ever touched.
import { mkdir, open, rename, rm, stat, statfs } from "node:fs/promises";
import path from "node:path";
import { DiskFullError } from "../../errors.js";
import { silentReporter, type Reporter } from "../../reporter.js";
import { run } from "../../runtime/exec.js";
import { detachLoop, isMountPoint, readLoopDevices, unmountPath } from "../qcow2/mounts.js";
import type { PoolLayout } from "./pool-layout.js";

/** mkfs.xfs refuses filesystems under 300 MB. */
export const MIN_POOL_BYTES = 320 * 1024 * 1024;
const MiB = 1024 * 1024;

const privileged = (reporter: Reporter, packageHint: string) => ({ privileged: true, reporter, packageHint, timeoutMs: 120_000 });

export const mb = (bytes: number): string => `${Math.round(bytes / MiB)} MB`;

/** Free bytes of the filesystem holding `dir` (or its nearest existing ancestor). */
export async function freeBytes(dir: string): Promise<number> {
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    const s = await statfs(p).catch(() => undefined);
    if (s) return s.bavail * s.bsize;
    if (p === path.dirname(p)) return 0;
  }
}

export async function poolLoopDevice(layout: PoolLayout): Promise<string | undefined> {
  return (await readLoopDevices()).find((l) => l.backingFile === layout.poolFile)?.device;
}

/** A new pool file of `sizeBytes`, formatted and mounted; on any failure nothing of it is left. */
export async function createPoolFile(layout: PoolLayout, sizeBytes: number, reporter: Reporter = silentReporter): Promise<void> {
  const hostFree = await freeBytes(layout.home);
  // Sparse, but a pool larger than its host could ever hold fails writes deep inside clones later.
  if (sizeBytes > hostFree) {
    throw new DiskFullError(
      `Cannot create the reflink pool ${layout.poolFile} of ${mb(sizeBytes)}: its filesystem has ${mb(hostFree)} free. ` +
        `Free space there, or set DBCLONE_POOL_SIZE to a smaller size.`,
    );
  }
  const tmp = `${layout.poolFile}.tmp-${process.pid}`;
  await mkdir(layout.home, { recursive: true });
  try {
    const fh = await open(tmp, "wx", 0o600);
    await fh.truncate(sizeBytes).finally(() => fh.close());
    // -K: nothing to discard in a fresh sparse file; reflink=1 is what makes clones copy-on-write.
    await run("mkfs.xfs", ["-q", "-K", "-m", "reflink=1", tmp], privileged(reporter, "xfsprogs"));
    await rename(tmp, layout.poolFile);
  } finally {
    await rm(tmp, { force: true });
  }
  reporter.info(`Created the reflink pool ${layout.poolFile} (${mb(sizeBytes)}, sparse XFS): this host's filesystem has no reflinks.`);
}

export async function mountPoolFile(layout: PoolLayout, reporter: Reporter = silentReporter): Promise<void> {
  if (await isMountPoint(layout.dir)) return;
  await mkdir(layout.dir, { recursive: true, mode: 0o711 });
  await run("mount", ["-t", "xfs", "-o", "loop", layout.poolFile, layout.dir], privileged(reporter, "mount"));
}

/** Grow the pool file to `sizeBytes` while mounted: the loop device learns the new size, then XFS. */
export async function growPoolFile(layout: PoolLayout, sizeBytes: number, reporter: Reporter = silentReporter): Promise<void> {
  const current = (await stat(layout.poolFile)).size;
  if (sizeBytes <= current) return;
  const hostFree = await freeBytes(layout.home);
  if (sizeBytes - current > hostFree) {
    throw new DiskFullError(
      `The reflink pool ${layout.poolFile} needs to grow by ${mb(sizeBytes - current)} but its filesystem has ${mb(hostFree)} free. ` +
        `Free space there, or tear down clones of images you no longer use (dbclone gc evicts images unused for DBCLONE_POOL_KEEP_DAYS, default 7).`,
    );
  }
  const device = await poolLoopDevice(layout);
  if (!device) throw new DiskFullError(`The reflink pool ${layout.poolFile} is not attached to a loop device; cannot grow it.`);
  const fh = await open(layout.poolFile, "r+");
  await fh.truncate(sizeBytes).finally(() => fh.close());
  await run("losetup", ["-c", device], privileged(reporter, "mount"));
  await run("xfs_growfs", [layout.dir], privileged(reporter, "xfsprogs"));
  reporter.info(`Grew the reflink pool ${layout.poolFile} to ${mb(sizeBytes)}.`);
}

/** Unmount the pool and delete its file (`dbclone gc --remove-pool`, tests, benches): callers ensure no clone uses it. */
export async function removePoolFile(layout: PoolLayout, reporter: Reporter = silentReporter): Promise<void> {
  await unmountPath(layout.dir, reporter);
  for (const loop of await readLoopDevices()) if (loop.backingFile === layout.poolFile) await detachLoop(loop.device, reporter);
  await rm(layout.poolFile, { force: true });
  await rm(layout.dir, { recursive: true, force: true });
}
