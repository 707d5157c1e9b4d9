// A full disk, said plainly: which filesystem (mount point, type), how much is free of how much,
// and during what — instead of an ENOSPC deep inside a copy or a command's stderr.
import { readFileSync } from "node:fs";
import { statfs } from "node:fs/promises";
import path from "node:path";
import { type DbcloneError, DiskFullError } from "../errors.js";

const FULL_TEXT = /No space left on device|Disk quota exceeded|ENOSPC|EDQUOT/i;

/** ENOSPC/EDQUOT from Node, or a command whose stderr says so (qemu-img, pg_restore, mkfs). */
export function isDiskFull(e: unknown): boolean {
  for (
    let err = e as { code?: unknown; message?: string; stderr?: string; cause?: unknown } | undefined, depth = 0;
    err && depth < 5;
    err = err.cause as typeof err, depth++
  ) {
    if (err.code === "ENOSPC" || err.code === "EDQUOT") return true;
    if (FULL_TEXT.test(err.message ?? "") || FULL_TEXT.test(err.stderr ?? "")) return true;
  }
  return false;
}

interface MountInfo {
  mountPoint: string;
  fsType: string;
  source: string;
}

function mountOf(p: string): MountInfo | undefined {
  let best: MountInfo | undefined;
  let text = "";
  try {
    text = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    const sep = f.indexOf("-");
    if (sep < 0 || !f[4]) continue;
    const mountPoint = f[4].replace(/\\040/g, " ");
    const inside = p === mountPoint || p.startsWith(mountPoint.endsWith("/") ? mountPoint : `${mountPoint}/`);
    if (inside && (!best || mountPoint.length > best.mountPoint.length)) best = { mountPoint, fsType: f[sep + 1] ?? "?", source: f[sep + 2] ?? "?" };
  }
  return best;
}

async function describeSpace(dir: string): Promise<{ where: string; free: number; size: number } | undefined> {
  // The nearest existing ancestor: the directory itself may be gone (cleaned up) by now.
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    const st = await statfs(p).catch(() => undefined);
    if (st) {
      const m = mountOf(p);
      return { where: m ? `${m.mountPoint} (${m.fsType} on ${m.source})` : p, free: st.bavail * st.bsize, size: st.blocks * st.bsize };
    }
    if (p === path.dirname(p)) return undefined;
  }
}

/** Less than this is full: a thin disk's host fills up while a write is in flight. */
const NEARLY_FULL_BYTES = 1 << 20;
const IO_ERROR = /Input\/output error|EIO\b|I\/O error/i;

function mentionsIoError(e: unknown): boolean {
  for (
    let err = e as { code?: unknown; message?: string; stderr?: string; cause?: unknown } | undefined, depth = 0;
    err && depth < 5;
    err = err.cause as typeof err, depth++
  ) {
    if (err.code === "EIO" || IO_ERROR.test(err.message ?? "") || IO_ERROR.test(err.stderr ?? "")) return true;
  }
  return false;
}

/**
 * When `e` is a full disk: a DiskFullError naming the fullest of `dirs`' filesystems, its free
 * space and what was being done; otherwise undefined (the caller keeps its own error). An I/O
 * error counts too when one of the filesystems is (nearly) full: that is how a thin disk whose
 * host filled up fails inside it.
 */
export async function diskFullError(e: unknown, dirs: string[], doing: string): Promise<DbcloneError | undefined> {
  const io = mentionsIoError(e);
  if (!isDiskFull(e) && !io) return undefined;
  let fullest: { where: string; free: number; size: number } | undefined;
  for (const dir of dirs) {
    const space = await describeSpace(dir);
    if (space && (!fullest || space.free / Math.max(1, space.size) < fullest.free / Math.max(1, fullest.size))) fullest = space;
  }
  if (!isDiskFull(e) && !(fullest && fullest.free < NEARLY_FULL_BYTES)) return undefined;
  const where = fullest ? `${fullest.where}: ${formatBytes(fullest.free)} free of ${formatBytes(fullest.size)}` : dirs.join(", ");
  return new DiskFullError(
    `no space left while ${doing}, on ${where}; nothing partial was kept. Free space there (or point DBCLONE_HOME / the cache elsewhere) and retry`,
    { cause: e },
  );
}

function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
