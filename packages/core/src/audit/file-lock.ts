// A cross-process lock beside a file (a `<file>.lock` directory, via proper-lockfile).
// Works on local disks and SMB shares because it relies only on atomic mkdir.
import lockfile from "proper-lockfile";
import { RepositoryError } from "../errors.js";

export interface FileLockOptions {
  /** Give up after roughly this many milliseconds of waiting (default 60 s). */
  waitMs?: number;
}

/** Run `fn` while holding the lock for `target` (the file itself need not exist). */
export async function withFileLock<T>(target: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const waitMs = opts.waitMs ?? 60_000;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, {
      realpath: false,
      // A holder that was SIGKILLed stops refreshing the lock's mtime; after `stale` ms others take it.
      stale: 10_000,
      retries: { retries: Math.ceil(waitMs / 100), factor: 1, minTimeout: 20, maxTimeout: 100, randomize: true },
      // Our critical sections last milliseconds; a compromised lock is reported by the caller's
      // checks (audit head, link without overwrite), so do not crash the process from a timer.
      onCompromised: () => undefined,
    });
  } catch (e) {
    throw new RepositoryError(
      `could not lock ${target} within ${Math.round(waitMs / 1000)} s (${(e as Error).message}); ` +
        `if no dbclone process is running, remove ${target}.lock`,
      { cause: e },
    );
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
