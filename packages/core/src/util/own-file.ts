// Records dbclone trusts without checking again (a manifest validated before, a blob hashed before,
// an image version whose catalogs were checked) are only as good as the file that says so: one
// another user wrote, or a link to something else, must count as absent. A record is ours when it
// is a regular file (never followed through a link), owned by this process's user and writable by
// nobody else: a home whose directories someone loosened then costs a check, never a skipped one.
import { constants, type Stats } from "node:fs";
import { open } from "node:fs/promises";

/** A regular file of our own that no other user may write (platforms without uids: a regular file). */
export function isOwnFile(st: Stats): boolean {
  if (!st.isFile()) return false;
  const uid = process.geteuid?.();
  return uid === undefined || (st.uid === uid && (st.mode & 0o022) === 0);
}

/** The text of `file` when it is our own (isOwnFile), read without following a link; else undefined (absent or not ours). */
export async function readOwnFile(file: string): Promise<string | undefined> {
  const fh = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)).catch(() => undefined);
  if (!fh) return undefined;
  try {
    return isOwnFile(await fh.stat()) ? (await fh.readFile()).toString("utf8") : undefined;
  } finally {
    await fh.close();
  }
}
