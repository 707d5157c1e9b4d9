// Clone lifetimes: durations as people write them ("2h", "1h30m"), caps, and expiry.
import { UsageError } from "../errors.js";
import type { CloneRecord } from "./types.js";

const UNIT_SECONDS = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;
// Units in descending order, each at most once: 1d2h3m4s. A bare integer means seconds.
const DURATION_PATTERN = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** "2h" | "30m" | "90s" | "1d" | "1h30m" | "3600" → seconds (> 0). */
export function parseDuration(input: string): number {
  const s = String(input).trim().toLowerCase();
  const fail = (why: string): never => {
    throw new UsageError(`bad duration '${input}': ${why} (examples: 90s, 30m, 2h, 1h30m, 1d)`);
  };
  if (!s) fail("it is empty");
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n <= 0) fail("it must be greater than zero");
    return n;
  }
  const m = DURATION_PATTERN.exec(s);
  if (!m || m.slice(1).every((g) => g === undefined)) fail("use whole numbers with units d, h, m, s in that order");
  const [, d, h, min, sec] = m!;
  const seconds =
    Number(d ?? 0) * UNIT_SECONDS.d + Number(h ?? 0) * UNIT_SECONDS.h + Number(min ?? 0) * UNIT_SECONDS.m + Number(sec ?? 0);
  if (seconds <= 0) fail("it must be greater than zero");
  if (!Number.isSafeInteger(seconds)) fail("it is too large");
  return seconds;
}

/** 5400 → "1h30m": the inverse of parseDuration, for messages. */
export function formatDuration(seconds: number): string {
  let rest = Math.max(0, Math.round(seconds));
  let out = "";
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) out += `${n}${unit}`;
  }
  return out || "0s";
}

/**
 * The lifetime to use: the request, but never more than the cap. No request → the cap (which may
 * itself be undefined: no expiry). A cap <= 0 or undefined means "no cap".
 */
export function capTtl(requested: number | undefined, maxTtlSeconds: number | undefined): number | undefined {
  const cap = maxTtlSeconds !== undefined && maxTtlSeconds > 0 ? maxTtlSeconds : undefined;
  if (requested === undefined) return cap;
  if (!(requested > 0)) throw new UsageError(`ttl must be greater than zero seconds, got ${requested}`);
  return cap === undefined ? requested : Math.min(requested, cap);
}

/** ISO expiry time `ttlSeconds` after `from`, or undefined when there is no ttl. */
export function expiryFrom(ttlSeconds: number | undefined, from: Date = new Date()): string | undefined {
  return ttlSeconds === undefined ? undefined : new Date(from.getTime() + ttlSeconds * 1000).toISOString();
}

/** True once the record's expiresAt has passed; records without one never expire. */
export function isExpired(record: Pick<CloneRecord, "expiresAt">, now: Date = new Date()): boolean {
  if (!record.expiresAt) return false;
  const t = Date.parse(record.expiresAt);
  return Number.isFinite(t) && t <= now.getTime();
}
