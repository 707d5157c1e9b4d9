// Where point-in-time recovery stops: a time or a WAL location, checked before anything is created.
import { UsageError } from "../../errors.js";
import { isLsn } from "./walArchive.js";

export type RecoveryTarget = { kind: "time"; value: string; at: Date; setting: string } | { kind: "lsn"; value: string } | { kind: "end" };

/** A timestamp with an explicit zone: `2026-03-01 04:00:00+00`, `2026-03-01T04:00:00.123456Z`. */
const TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)$/i;

/** The instant a target time names; JavaScript keeps milliseconds, which is enough to compare. */
export function parseTargetTime(text: string): Date | undefined {
  const m = TIME.exec(text.trim());
  if (!m) return undefined;
  let zone = m[3]!.toUpperCase();
  if (zone === "UTC") zone = "Z";
  else if (/^[+-]\d{2}$/.test(zone)) zone += ":00";
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const time = m[2]!.length === 5 ? `${m[2]}:00` : m[2]!;
  const at = new Date(`${m[1]}T${time.replace(/(\.\d{3})\d+/, "$1")}${zone}`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** PostgreSQL's recovery_target_time refuses ISO 8601's "T" and "Z": `2026-03-01 04:00:00.5+00`. */
export function toServerTime(text: string): string {
  const m = TIME.exec(text.trim())!;
  const zone = m[3]!.toUpperCase();
  return `${m[1]} ${m[2]}${zone === "Z" || zone === "UTC" ? "+00" : zone}`;
}

export function recoveryTargetOf(spec: { recoveryTargetTime?: string; recoveryTargetLsn?: string }): RecoveryTarget {
  if (spec.recoveryTargetTime !== undefined && spec.recoveryTargetLsn !== undefined) {
    throw new UsageError("Give one recovery target: --recovery-target-time or --recovery-target-lsn, not both.");
  }
  if (spec.recoveryTargetTime !== undefined) {
    const at = parseTargetTime(spec.recoveryTargetTime);
    if (!at) {
      throw new UsageError(
        `--recovery-target-time "${spec.recoveryTargetTime}" is not a timestamp with a time zone; write e.g. 2026-03-01T04:00:00Z or "2026-03-01 04:00:00+01".`,
      );
    }
    return { kind: "time", value: spec.recoveryTargetTime.trim(), at, setting: toServerTime(spec.recoveryTargetTime) };
  }
  if (spec.recoveryTargetLsn !== undefined) {
    if (!isLsn(spec.recoveryTargetLsn.trim())) {
      throw new UsageError(`--recovery-target-lsn "${spec.recoveryTargetLsn}" is not a WAL location; write it as PostgreSQL prints it, e.g. 0/3000148.`);
    }
    return { kind: "lsn", value: spec.recoveryTargetLsn.trim().toUpperCase() };
  }
  return { kind: "end" };
}

export const describeTarget = (t: RecoveryTarget): string =>
  t.kind === "time" ? `time ${t.value}` : t.kind === "lsn" ? `WAL location ${t.value}` : "the end of the WAL archive";

/** Server settings for the target; inclusive: the target transaction (or record) is replayed. */
export function targetSettings(t: RecoveryTarget, action: "promote" | "shutdown"): Record<string, string> {
  if (t.kind === "end") return {};
  const settings: Record<string, string> = { recovery_target_inclusive: "on", recovery_target_action: action };
  if (t.kind === "time") settings.recovery_target_time = t.setting;
  else settings.recovery_target_lsn = t.value;
  return settings;
}
