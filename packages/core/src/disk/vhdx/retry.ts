// Windows keeps a file locked while any handle is open (antivirus, the indexer, a slow dismount),
// so deletes retry with backoff instead of failing on the first EBUSY/EPERM.

export interface RetryOptions {
  attempts?: number;
  firstDelayMs?: number;
  /** Injected by tests so backoff costs no real time. */
  sleep?: (ms: number) => Promise<void>;
  /** Which errors are worth another try; default: a file still in use. */
  retryable?: (e: unknown) => boolean;
}

export const isFileInUse = (e: unknown): boolean => ["EBUSY", "EPERM", "EACCES", "ENOTEMPTY"].includes((e as NodeJS.ErrnoException)?.code ?? "");

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run `fn` until it succeeds; waits 1×, 2×, 4×… firstDelayMs between tries; rethrows the last error. */
export async function retryWithBackoff<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 6;
  const sleep = opts.sleep ?? realSleep;
  const retryable = opts.retryable ?? isFileInUse;
  let delay = opts.firstDelayMs ?? 250;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !retryable(e)) throw e;
      await sleep(delay);
      delay *= 2;
    }
  }
}
