// Clone lifetimes: caps and expiry (durations as people write them come from util/duration.ts).
import { UsageError } from "../errors.js";
import type { CloneRecord } from "./types.js";

// The grammar lives in util/duration.ts, shared with the actions and repository config.
export { parseDuration, formatDuration, parseTtl, DEFAULT_TTL } from "../util/duration.js";

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
