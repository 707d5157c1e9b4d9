// The one duration grammar of dbclone, for the CLI (--ttl, --timeout), the actions (ttl, timeout)
// and repository config (maxTtl): a number of seconds ("90", "1.5"), or units d, h, m, s, each at
// most once and in that order ("1h30m", "1.5h", "2d"). "1h1h" is refused, never read as 2h.
import { UsageError } from "../errors.js";

const UNIT_SECONDS = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;
const NUMBER = String.raw`(\d+(?:\.\d+)?)`;
const DURATION_PATTERN = new RegExp(`^(?:${NUMBER}d)?(?:${NUMBER}h)?(?:${NUMBER}m)?(?:${NUMBER}s)?$`);
export const DURATION_EXAMPLES = "90s, 1.5, 30m, 2h, 1h30m, 1d";

/**
 * "2h" | "1h30m" | "1.5" | "90s" → seconds (> 0, possibly fractional). `what` names the option or
 * input in the error ("--timeout", "input 'ttl'"); `makeError` picks the error class (default UsageError).
 */
export function parseDuration(input: string, what = "duration", makeError: (message: string) => Error = (m) => new UsageError(m)): number {
  const s = String(input).trim().toLowerCase();
  const fail = (why: string): never => {
    throw makeError(`${what}: '${input}' is not a duration: ${why} (e.g. ${DURATION_EXAMPLES})`);
  };
  if (!s) fail("it is empty");
  const bare = new RegExp(`^${NUMBER}$`).exec(s);
  const m = bare ? undefined : DURATION_PATTERN.exec(s);
  if (!bare && (!m || m.slice(1).every((g) => g === undefined)))
    fail("write a number of seconds, or numbers with units d, h, m, s, each once and in that order");
  const seconds = bare ? Number(bare[1]) : (["d", "h", "m", "s"] as const).reduce((sum, unit, i) => sum + Number(m![i + 1] ?? 0) * UNIT_SECONDS[unit], 0);
  if (!(seconds > 0)) fail("it must be greater than zero");
  if (!Number.isSafeInteger(Math.ceil(seconds))) fail("it is too large");
  return seconds;
}

/** A duration as whole seconds (a TTL), rounded up so that "0.5" still lasts. */
export const parseWholeSeconds = (input: string, what?: string, makeError?: (message: string) => Error): number =>
  Math.ceil(parseDuration(input, what, makeError));

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

/** A clone's lifetime: a duration, or "none" = until torn down. Default everywhere: 2h. */
export const DEFAULT_TTL = "2h";
export function parseTtl(input: string, what = "--ttl", makeError?: (message: string) => Error): number | undefined {
  return input.trim().toLowerCase() === "none" ? undefined : parseWholeSeconds(input, what, makeError);
}
