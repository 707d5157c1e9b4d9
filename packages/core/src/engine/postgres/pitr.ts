// Point-in-time recovery as an image source: a pg_basebackup plus a WAL archive, replayed to a
// target time or WAL location, promoted, and described for the manifest's source.backupChain.
import path from "node:path";
import { SourceError, UsageError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { run } from "../../runtime/exec.js";
import { findBinaries, type PgBinaries } from "./binaries.js";
import { placeBaseBackup, readBaseBackup, type BaseBackupInfo } from "./baseBackup.js";
import { serverUser } from "./osUser.js";
import { continueKeptState } from "./recoveryState.js";
import type { BaseBackupProbe, BaseBackupSource } from "./pitr-types.js";
import { controlData, runRecovery, type RecoveryOutcome } from "./recoveryServer.js";
import { describeTarget, recoveryTargetOf, type RecoveryTarget } from "./recoveryTarget.js";
import { findBackupHistory, lsnToBigInt, readWalArchive, segmentEndLsn, type BackupHistory, type WalArchive } from "./walArchive.js";

/**
 * PostgreSQL prints backup times in the source's log_timezone: `2026-03-01 04:00:00 UTC`, or a
 * numeric offset (`+03`) where the zone has no abbreviation. Other abbreviations (CET, EST) are
 * ambiguous and not compared.
 */
export function backupTime(text?: string): Date | undefined {
  const m = text ? /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (UTC|GMT|[+-]\d{2}(?::?\d{2})?)$/.exec(text) : undefined;
  if (!m) return undefined;
  const z = m[3]!;
  const zone = z === "UTC" || z === "GMT" ? "Z" : z.length === 3 ? `${z}:00` : `${z.slice(0, 3)}:${z.slice(-2)}`;
  const at = new Date(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** Everything checkable before a disk is created: the backup, the archive, the target. */
export async function probeBaseBackup(source: BaseBackupSource, reporter?: Reporter): Promise<BaseBackupProbe> {
  const target = recoveryTargetOf(source);
  if (target.kind !== "end" && !source.walArchive) {
    throw new UsageError(`A recovery target needs the WAL archive to replay: add --wal-archive DIR.`);
  }
  const backup = await readBaseBackup(source.path);
  if (!Number.isFinite(backup.major)) throw new SourceError(`${source.path} has no readable PG_VERSION; the backup is damaged.`);
  await findBinaries(backup.major);
  let archive: WalArchive | undefined;
  let history: BackupHistory | undefined;
  if (source.walArchive) {
    archive = await readWalArchive(source.walArchive);
    await assertServerUserReads(source.walArchive);
    history = await findBackupHistory(archive, backup.startLsn);
    if (archive.segments.length === 0) throw new SourceError(`The WAL archive ${source.walArchive} holds no WAL segments; is archive_command copying into it?`);
  }
  const backupEnd = { lsn: history?.stopLsn ?? backup.manifestEndLsn, time: history?.stopTime };
  refuseTargetBeforeBackupEnd(target, backup, backupEnd, (m) => reporter?.warn(m));

  const range = archive ? `, WAL archive ${path.basename(path.resolve(archive.dir))} (${archive.segments[0]} … ${archive.segments.at(-1)})` : "";
  return {
    description: `PostgreSQL ${backup.major} base backup ${path.basename(path.resolve(source.path))} (${backup.format}, from ${backup.startLsn})${range}, recovered to ${describeTarget(target)}`,
    version: String(backup.major),
    major: backup.major,
    backup,
    archive,
    history,
    target,
    backupEnd,
  };
}

function refuseTargetBeforeBackupEnd(target: RecoveryTarget, backup: BaseBackupInfo, end: { lsn?: string; time?: string }, warn: (m: string) => void): void {
  const shown = end.lsn ? `it ends at WAL location ${end.lsn}${end.time ? `, ${end.time}` : ""}` : `it started at ${backup.startLsn}`;
  const tooEarly = () =>
    new SourceError(
      `The recovery target ${describeTarget(target)} is before the end of the base backup (${shown}); choose a later target or an older base backup.`,
    );
  if (target.kind === "lsn" && lsnToBigInt(target.value) < lsnToBigInt(end.lsn ?? backup.startLsn)) throw tooEarly();
  if (target.kind === "time") {
    const limit = backupTime(end.time) ?? backupTime(backup.startTime);
    if (limit && target.at.getTime() < limit.getTime()) throw tooEarly();
    // PostgreSQL checks a time target only at commits: one before the backup's end but with no commit
    // inside the backup would silently stop later. Say when we could not rule that out.
    if (!backupTime(end.time))
      warn(`Could not read the base backup's end time ("${end.time ?? backup.startTime ?? "none"}"); make sure ${target.value} is after it.`);
  }
}

/** restore_command runs as the server's OS user: it must be able to list and read the archive. */
async function assertServerUserReads(dir: string): Promise<void> {
  const user = serverUser();
  if (!user.asUser) return;
  const r = await run("test", ["-r", dir, "-a", "-x", dir], { asUser: user.asUser, allowFailure: true, cwd: "/" });
  if (r.code !== 0) {
    throw new SourceError(
      `The WAL archive ${dir} is not readable by the OS user "${user.name}" that replays it; make it (and its parents) readable, e.g. chmod o+rx.`,
    );
  }
}

/**
 * Restore the base backup into `dataDir` and replay WAL to the target, leaving a promoted, stopped
 * cluster. Returns the backup chain for the manifest.
 */
export async function restoreBaseBackup(bins: PgBinaries, source: BaseBackupSource, dataDir: string, reporter: Reporter): Promise<Record<string, unknown>> {
  const probe = await probeBaseBackup(source, reporter);
  const explain = {
    backupEnd: probe.backupEnd.lsn
      ? `consistent from WAL location ${probe.backupEnd.lsn}${probe.backupEnd.time ? `, ${probe.backupEnd.time}` : ""}`
      : `started at ${probe.backup.startLsn}`,
    archiveEnd: probe.archive ? `its last segment is ${probe.archive.segments.at(-1)} in ${probe.archive.dir}` : "no archive given",
  };
  let outcome: RecoveryOutcome;
  let fromKeptState: Record<string, unknown> | undefined;
  if (source.keepRecoveryState) {
    // Advance the kept state (never promoted) to the target, then promote a copy of it.
    fromKeptState = await continueKeptState({ bins, source, probe, dataDir, reporter, explain });
    outcome = await runRecovery({ bins, dataDir, archiveDir: source.walArchive, target: probe.target, action: "promote", reporter, explain });
  } else {
    reporter.info(`Restoring base backup ${source.path}`);
    await placeBaseBackup(source.path, probe.backup, dataDir);
    refuseTargetPastArchive(probe, Number((await controlData(bins, dataDir)).get("Bytes per WAL segment")), explain);
    outcome = await runRecovery({ bins, dataDir, archiveDir: source.walArchive, target: probe.target, action: "promote", reporter, explain });
  }
  const control = await controlData(bins, dataDir);
  return backupChainRecord(probe, outcome, control, fromKeptState);
}

/** An LSN target beyond the last archived segment cannot be reached: say so before replaying anything. */
function refuseTargetPastArchive(p: BaseBackupProbe, segmentBytes: number, explain: { archiveEnd: string }): void {
  const last = p.archive?.segments.at(-1);
  if (!last || !Number.isInteger(segmentBytes) || segmentBytes <= 0) return;
  const end = segmentEndLsn(last, segmentBytes);
  explain.archiveEnd = `its last segment is ${last}, ending at WAL location ${end}`;
  if (p.target.kind === "lsn" && lsnToBigInt(p.target.value) > lsnToBigInt(end)) {
    throw new SourceError(
      `The recovery target ${describeTarget(p.target)} is past the end of the WAL archive (${explain.archiveEnd}). ` +
        `Archive newer WAL first (on the source, SELECT pg_switch_wal() closes the current segment) or choose an earlier target.`,
    );
  }
}

function backupChainRecord(p: BaseBackupProbe, o: RecoveryOutcome, control: Map<string, string>, kept?: Record<string, unknown>): Record<string, unknown> {
  const t = p.target;
  const record: Record<string, unknown> = {
    method: "pg_basebackup + WAL archive (point-in-time recovery)",
    format: p.backup.format,
    label: p.backup.label,
    systemIdentifier: control.get("Database system identifier"),
    startLsn: p.backup.startLsn,
    checkpointLsn: p.backup.checkpointLsn,
    stopLsn: p.backupEnd.lsn,
    startTimeline: p.backup.startTimeline,
    stopTimeline: p.history?.stopTimeline ?? p.backup.manifestTimeline,
    startTime: p.backup.startTime,
    stopTime: p.backupEnd.time,
    recoveryTarget: t.kind === "end" ? { kind: "end-of-archive" } : { kind: t.kind, value: t.value, inclusive: true, action: "promote" },
    recoveryStopped: o.stoppedAt,
    lastReplayedLsn: o.lastReplayedLsn,
    lastTransactionTime: o.lastTransactionTime,
    timelineAfterPromotion: o.timeline ?? Number(control.get("Latest checkpoint's TimeLineID")),
    archive: p.archive
      ? {
          firstSegmentUsed: o.restoredSegments[0],
          lastSegmentUsed: o.restoredSegments.at(-1),
          segmentsRestored: o.restoredSegments.length,
          archiveFirstSegment: p.archive.segments[0],
          archiveLastSegment: p.archive.segments.at(-1),
        }
      : undefined,
    keptRecoveryState: kept,
  };
  return JSON.parse(JSON.stringify(record)) as Record<string, unknown>; // drops undefined fields
}
