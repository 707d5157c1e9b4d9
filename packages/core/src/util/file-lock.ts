// A cross-process lock beside a file (a `<file>.lock` directory, via proper-lockfile).
// Works on local disks and SMB shares because it relies only on atomic mkdir.
import lockfile from "proper-lockfile";
import { RepositoryError } from "../errors.js";

export interface FileLockOptions {
  /** Give up after roughly this many milliseconds of waiting (default 60 s). */
  waitMs?: number;
  /** A holder that stops refreshing the lock for this long is presumed dead (default 10 s). */
  staleMs?: number;
}

/**
 * Run `fn` while holding the lock for `target` (the file itself need not exist). When the lock is
 * compromised (its mtime could not be refreshed and another process may have taken it over as
 * stale), `signal` aborts so long work (a download) stops, and the call fails instead of
 * returning as if it had held the lock throughout.
 */
export async function withFileLock<T>(target: string, fn: (signal: AbortSignal) => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const waitMs = opts.waitMs ?? 60_000;
  const lost = new AbortController();
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, {
      realpath: false,
      // A holder that was SIGKILLed stops refreshing the lock's mtime; after `stale` ms others take it.
      stale: opts.staleMs ?? 10_000,
      retries: { retries: Math.ceil(waitMs / 100), factor: 1, minTimeout: 20, maxTimeout: 100, randomize: true },
      // Not thrown from a timer (that would crash the process): the work is aborted instead.
      onCompromised: (err) =>
        lost.abort(new RepositoryError(`lost the lock ${target}.lock (${err.message}); another process may have taken it over: stopped, retry`)),
    });
  } catch (e) {
    throw new RepositoryError(
      `could not lock ${target} within ${Math.round(waitMs / 1000)} s (${(e as Error).message}); ` + `if no dbclone process is running, remove ${target}.lock`,
      { cause: e },
    );
  }
  try {
    const result = await fn(lost.signal);
    if (lost.signal.aborted) throw lost.signal.reason as Error;
    return result;
  } catch (e) {
    // Whatever `fn` failed with, a lost lock is the cause worth reporting.
    throw lost.signal.aborted ? (lost.signal.reason as Error) : e;
  } finally {
    await release().catch(() => undefined);
  }
}
