// Crash-safe small-file writes: the one helper for every state file dbclone rewrites in place
// (registries, indexes, caches, heads). Write a temp name in the target's directory, fsync, rename
// over the target, fsync the directory: a reader sees the old file or the new one, never half of one,
// and the new one survives a power loss once this returns.
import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Temp names carry host and pid so a later writer can tell a dead writer's leftovers. */
export const TEMP_PREFIX = ".tmp-";

/** This host, as it appears in temp names. */
export const TEMP_HOST = os.hostname().replace(/[^A-Za-z0-9.-]/g, "_");

/** A temp path in `dir`: `.tmp-<host>-<pid>-<random>`. */
export function tempPath(dir: string): string {
  return path.join(dir, `${TEMP_PREFIX}${TEMP_HOST}-${process.pid}-${randomBytes(6).toString("hex")}`);
}

/** Create the new file `file` (never overwriting one) with `data`, fsynced. */
export async function writeDurable(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const fh = await open(file, "wx", mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync a directory so a rename/link in it survives a power loss; some filesystems (SMB) refuse: fine. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort: not every filesystem lets a directory be fsynced */
  }
}

/**
 * fsync what `file` and its directory hold now: for a file replaced atomically without fsync (a
 * rename is atomic and survives the writer's kill, just not a power loss) whose durability its writer
 * awaits later, off its critical path. A file gone since is fine: nothing of it is left to keep.
 */
export async function syncFileAndDir(file: string): Promise<void> {
  try {
    const fh = await open(file, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  await syncDir(path.dirname(file));
}

export async function unlinkQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}

/**
 * Replace `file` with `data` atomically and durably (temp in the same directory, fsync, rename,
 * fsync the directory). `mode` applies to the new file: the old file's mode is not kept.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode: number): Promise<void> {
  const dir = path.dirname(file);
  const tmp = tempPath(dir);
  try {
    await writeDurable(tmp, data, mode);
    await rename(tmp, file);
  } catch (e) {
    await unlinkQuietly(tmp);
    throw e;
  }
  await syncDir(dir);
}
