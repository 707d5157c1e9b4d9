// Crash-safe blob steps: copy to a temp name in the target directory while hashing, fsync, then
// rename or link into place (util/durable-write.ts holds the temp names and small-file writes).
// Temps left by a killed writer are removed by later writers.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { ProgressCallback } from "../image/digest.js";
import { TEMP_HOST, TEMP_PREFIX, unlinkQuietly } from "../util/durable-write.js";

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
    const deadHere = m !== null && m[1] === TEMP_HOST && !pidAlive(Number(m[2]));
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
