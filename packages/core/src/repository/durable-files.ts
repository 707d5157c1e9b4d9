// Crash-safe file steps: write or copy to a temp name in the target directory, fsync, then
// rename or link into place. Temps left by a killed writer are removed by later writers.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir, stat, unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ProgressCallback } from "../image/digest.js";
import { TEMP_PREFIX } from "./layout.js";

const HOST = os.hostname().replace(/[^A-Za-z0-9.-]/g, "_");

/** A temp path in `dir`: `.tmp-<host>-<pid>-<random>`. */
export function tempPath(dir: string): string {
  return path.join(dir, `${TEMP_PREFIX}${HOST}-${process.pid}-${randomBytes(6).toString("hex")}`);
}

export async function writeDurable(file: string, data: string, mode = 0o644): Promise<void> {
  const fh = await open(file, "wx", mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Copy `src` to the new file `dest` in 1 MiB chunks, hashing as it goes; fsync; return the digest. */
export async function copyAndHash(src: string, dest: string, onProgress?: ProgressCallback): Promise<string> {
  const total = (await stat(src)).size;
  const hash = createHash("sha256");
  const out = await open(dest, "wx", 0o644);
  try {
    let done = 0;
    for await (const chunk of createReadStream(src, { highWaterMark: 1 << 20 })) {
      const buf = chunk as Buffer;
      hash.update(buf);
      await out.write(buf);
      done += buf.length;
      onProgress?.(done, total);
    }
    await out.sync();
  } finally {
    await out.close();
  }
  return `sha256:${hash.digest("hex")}`;
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

export async function unlinkQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}

/**
 * Remove temps in `dir` whose writer is gone: on this host with a dead pid, or untouched for
 * `staleMs` (a live writer keeps a temp's mtime fresh while it copies).
 */
export async function removeStaleTemps(dir: string, staleMs: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names.filter((n) => n.startsWith(TEMP_PREFIX))) {
    const file = path.join(dir, name);
    const st = await stat(file).catch(() => undefined);
    if (!st) continue;
    const m = /^\.tmp-(.+)-(\d+)-[0-9a-f]+$/.exec(name);
    const deadHere = m !== null && m[1] === HOST && !pidAlive(Number(m[2]));
    if (deadHere || Date.now() - st.mtimeMs > staleMs) {
      await unlinkQuietly(file);
      removed++;
    }
  }
  return removed;
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
