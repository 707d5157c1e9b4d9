// The end of the audit log: read its last line cheaply, and set aside a torn last line — the
// partial write of an append that crashed or hit a full disk — so the chain can continue.
import { appendFile, type FileHandle, open } from "node:fs/promises";
import path from "node:path";

export interface TornTailRepair {
  bytes: number;
  tornFile: string;
}

/**
 * The last line of a file (or of its first `limit` bytes), read backwards in chunks so a long log
 * costs no more than its tail. `start` is the line's byte offset.
 */
export async function readLastLine(file: string, limit?: number): Promise<{ text: string; complete: boolean; start: number } | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(file, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const size = Math.min(limit ?? Infinity, (await fh.stat()).size);
    if (size === 0) return undefined;
    let chunk = 4096;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const complete = buf[buf.length - 1] === 0x0a;
      const body = complete ? buf.subarray(0, buf.length - 1) : buf;
      const nl = body.lastIndexOf(0x0a);
      if (nl >= 0 || start === 0) return { text: body.subarray(nl + 1).toString("utf8"), complete, start: start + nl + 1 };
      chunk *= 4;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Move an incomplete last line to `<file>.torn` and cut the log back to its last complete line.
 * The caller holds the log's lock and has checked that the head does not cover the torn line
 * (an append writes its line before it moves the head, so a crash leaves exactly that state).
 */
export async function setAsideTornTail(file: string, last: { start: number }): Promise<TornTailRepair> {
  const fh = await open(file, "r+");
  try {
    const size = (await fh.stat()).size;
    const torn = Buffer.alloc(size - last.start);
    await fh.read(torn, 0, torn.length, last.start);
    const tornFile = `${file}.torn`;
    // Kept, not deleted: the bytes are evidence of what was being written.
    await appendFile(tornFile, Buffer.concat([torn, Buffer.from("\n")]), { mode: 0o600 });
    await fh.truncate(last.start);
    await fh.sync();
    return { bytes: torn.length, tornFile: path.basename(tornFile) };
  } finally {
    await fh.close();
  }
}
