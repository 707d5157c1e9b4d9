import { lstat, stat } from "node:fs/promises";

/**
 * Whether a path is there. Only "not there" (ENOENT) answers false: any other error (ENOTDIR: a
 * path under a regular file, EACCES, EIO) is thrown, so a path we may not look at is never taken for an absent one.
 * `noFollow`: the link itself counts, not what it points to.
 */
export async function exists(p: string, opts: { noFollow?: boolean } = {}): Promise<boolean> {
  try {
    await (opts.noFollow ? lstat(p) : stat(p));
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return false;
    throw e;
  }
}
