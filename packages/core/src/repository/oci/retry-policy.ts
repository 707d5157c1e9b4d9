// How registry requests survive faults: 5xx, 429 and dropped connections are retried with
// exponential backoff and jitter (p-retry), a Retry-After is honoured, and one deadline bounds a
// whole push or pull. Every retry is logged and counted, so a flaky registry is visible.
import { AsyncLocalStorage } from "node:async_hooks";
import pRetry, { AbortError } from "p-retry";
import { DbcloneError, RepositoryError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";

export interface RetrySettings {
  /** Retries of one request or one resumable step (default 6). */
  retries: number;
  /** First backoff (default 250 ms); doubles per retry up to maxDelayMs, randomised ×1–2. */
  minDelayMs: number;
  maxDelayMs: number;
  /** The whole push or pull gives up after this long (default 30 min). */
  deadlineMs: number;
  /** A request whose response headers take longer than this is abandoned and retried (default 60 s). */
  headersTimeoutMs: number;
}

export const DEFAULT_RETRY: RetrySettings = { retries: 6, minDelayMs: 250, maxDelayMs: 8_000, deadlineMs: 30 * 60_000, headersTimeoutMs: 60_000 };

/** DBCLONE_REGISTRY_RETRIES, DBCLONE_REGISTRY_DEADLINE and DBCLONE_REGISTRY_TIMEOUT (seconds) override the defaults. */
export function retrySettingsFrom(env: NodeJS.ProcessEnv = process.env, overrides: Partial<RetrySettings> = {}): RetrySettings {
  const num = (name: string, scale: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new RepositoryError(`${name}='${raw}' is not a non-negative number; unset it or give a number`);
    return n * scale;
  };
  return {
    ...DEFAULT_RETRY,
    ...definedOnly({
      retries: num("DBCLONE_REGISTRY_RETRIES", 1),
      deadlineMs: num("DBCLONE_REGISTRY_DEADLINE", 1000),
      headersTimeoutMs: num("DBCLONE_REGISTRY_TIMEOUT", 1000),
    }),
    ...overrides,
  };
}

/** A failure worth another try: a 5xx/429 answer, a reset connection, a short or stalled body. */
export class TransientRegistryError extends RepositoryError {
  constructor(
    message: string,
    /** Short cause for the retry tally: "HTTP 503", "ECONNRESET", "short body". */
    readonly reason: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One push or pull: its deadline and the retries it needed. */
export interface RegistryOperation {
  what: string;
  deadlineAt: number;
  retries: number;
  /** `<reason>` → count, e.g. "HTTP 503": 3, "ECONNRESET": 1. */
  reasons: Record<string, number>;
}

const current = new AsyncLocalStorage<RegistryOperation>();

export function currentOperation(): RegistryOperation | undefined {
  return current.getStore();
}

/** Run a push or pull under one deadline; the retry tally is logged at the end. */
export async function asRegistryOperation<T>(what: string, settings: RetrySettings, reporter: Reporter, fn: (op: RegistryOperation) => Promise<T>): Promise<T> {
  const op: RegistryOperation = { what, deadlineAt: performance.now() + settings.deadlineMs, retries: 0, reasons: {} };
  try {
    return await current.run(op, () => fn(op));
  } finally {
    if (op.retries > 0) {
      const why = Object.entries(op.reasons)
        .map(([k, v]) => `${k} ×${v}`)
        .join(", ");
      reporter.info(`${what}: ${op.retries} registry retr${op.retries === 1 ? "y" : "ies"} (${why})`);
    }
  }
}

/**
 * Run `attempt` until it succeeds, retrying transient failures with backoff and jitter within
 * the operation's deadline. `beforeRetry` runs before each new attempt (e.g. to re-sync a chunk).
 */
export async function withRetries<T>(
  label: string,
  settings: RetrySettings,
  reporter: Reporter,
  attempt: () => Promise<T>,
  beforeRetry?: () => Promise<void>,
  /** Transient failures this level must not retry itself (an enclosing level will). */
  passUp?: (e: unknown) => boolean,
): Promise<T> {
  const op = current.getStore();
  const remaining = () => (op ? op.deadlineAt - performance.now() : settings.deadlineMs);
  let first = true;
  return pRetry(
    async () => {
      try {
        if (!first && beforeRetry) await beforeRetry();
        first = false;
        return await attempt();
      } catch (e) {
        if (!isTransient(e) || passUp?.(e)) throw new AbortError(e as Error);
        // p-retry only retries the TypeErrors it knows as network errors; undici's "terminated" is not one.
        if (e instanceof TransientRegistryError) throw e;
        throw new TransientRegistryError((e as Error).message, reasonOf(e), undefined, { cause: e });
      }
    },
    {
      retries: settings.retries,
      minTimeout: settings.minDelayMs,
      maxTimeout: settings.maxDelayMs,
      randomize: true,
      maxRetryTime: Math.max(0, remaining()),
      shouldRetry: () => remaining() > 0,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft <= 0 || remaining() <= 0) return;
        const reason = reasonOf(error);
        if (op) {
          op.retries++;
          op.reasons[reason] = (op.reasons[reason] ?? 0) + 1;
        }
        reporter.info(`registry: ${label} failed (${reason}); retry ${attemptNumber} of ${settings.retries}`);
        const after = error instanceof TransientRegistryError ? error.retryAfterMs : undefined;
        if (after) await new Promise((r) => setTimeout(r, Math.min(after, Math.max(0, remaining()), settings.maxDelayMs * 4)));
      },
    },
  ).catch((e: unknown) => {
    // Given up on purpose (not transient, or for an enclosing level): the error as it was.
    // (p-retry rejects with the original error of an AbortError.)
    const err = e instanceof AbortError ? ((e.cause as Error) ?? e) : (e as Error);
    if (isTransient(err) && !passUp?.(err)) {
      const spent = op ? `; ${op.retries} retries in this ${op.what}` : "";
      throw new RepositoryError(
        `${label} failed after retrying: ${err.message}${spent}${remaining() <= 0 ? " (deadline reached: DBCLONE_REGISTRY_DEADLINE)" : ""}`,
        { cause: err },
      );
    }
    throw err;
  });
}

/** Dropped connections, resets, timeouts and our own transient errors; never a verdict like a digest mismatch. */
export function isTransient(e: unknown): boolean {
  if (e instanceof TransientRegistryError) return true;
  if (e instanceof DbcloneError) return false;
  const codes = new Set([
    "ECONNRESET",
    "ECONNREFUSED",
    "EPIPE",
    "ETIMEDOUT",
    "UND_ERR_SOCKET",
    "UND_ERR_CONNECT_TIMEOUT",
    "UND_ERR_HEADERS_TIMEOUT",
    "UND_ERR_BODY_TIMEOUT",
    "ECONNABORTED",
    "EAI_AGAIN",
  ]);
  for (
    let err = e as { code?: string; name?: string; message?: string; cause?: unknown } | undefined, depth = 0;
    err && depth < 4;
    err = err.cause as typeof err, depth++
  ) {
    if (err.code && codes.has(err.code)) return true;
    if (err.name === "TimeoutError") return true;
    if (err.message === "terminated" || err.message === "fetch failed" || /other side closed|socket hang up/i.test(err.message ?? "")) return true;
  }
  return false;
}

export function reasonOf(e: unknown): string {
  if (e instanceof TransientRegistryError) return e.reason;
  for (
    let err = e as { code?: unknown; name?: string; message?: string; cause?: unknown } | undefined, depth = 0;
    err && depth < 4;
    err = err.cause as typeof err, depth++
  ) {
    if (err.name === "TimeoutError") return "timeout";
    if (typeof err.code === "string") return err.code;
  }
  return (e as Error)?.message?.slice(0, 60) ?? "error";
}

/** Retry-After as seconds or an HTTP date, in ms. */
export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
