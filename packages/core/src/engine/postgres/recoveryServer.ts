// Runs PostgreSQL archive recovery over a restored base backup until it reaches its target and
// either promotes (the image build) or shuts down still in recovery (a kept recovery state).
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { BuildError, CommandError, NotSupportedError, SourceError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { isAlive } from "../../runtime/exec.js";
import type { PgBinaries } from "./binaries.js";
import { BUILD_SETTINGS, LOCAL_TRUST_HBA, commonSettings, writeServerFile } from "./config.js";
import { launchPostgres, stopPostgres } from "./launch.js";
import { giveToServerUser } from "./osUser.js";
import { describeTarget, targetSettings, type RecoveryTarget } from "./recoveryTarget.js";
import { restoreCommand } from "./walArchive.js";
import { refuseReplayOutside } from "./wal-check.js";
import { controlData } from "./control-data.js";

export { controlData };

export interface RecoveryRun {
  bins: PgBinaries;
  dataDir: string;
  /** Archived WAL to replay; without it only the WAL inside the backup is replayed (crash recovery). */
  archiveDir?: string;
  target: RecoveryTarget;
  action: "promote" | "shutdown";
  reporter: Reporter;
  /** Words for errors: what the backup's consistency point and the archive's end are. */
  explain: { backupEnd: string; archiveEnd: string };
  timeoutMs?: number;
}

export interface RecoveryOutcome {
  /** PostgreSQL's own words on where it stopped, e.g. `recovery stopping before commit of transaction 745, time …`. */
  stoppedAt?: string;
  lastReplayedLsn?: string;
  lastTransactionTime?: string;
  /** Segments restore_command fetched, in order. */
  restoredSegments: string[];
  timeline?: number;
}

const POLL_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Hot standby (read-only connections during recovery) needs these at least as high as on the
 * source; we copy the source's values from pg_control so any source replays.
 */
function hotStandbySettings(control: Map<string, string>): Record<string, string> {
  const pairs: [string, string][] = [
    ["max_connections", "max_connections setting"],
    ["max_worker_processes", "max_worker_processes setting"],
    ["max_wal_senders", "max_wal_senders setting"],
    ["max_prepared_transactions", "max_prepared_xacts setting"],
    ["max_locks_per_transaction", "max_locks_per_xact setting"],
  ];
  const out: Record<string, string> = {};
  for (const [setting, field] of pairs) {
    const v = control.get(field);
    if (v && /^\d+$/.test(v)) out[setting] = v;
  }
  return out;
}

export function parseRecoveryLog(log: string): RecoveryOutcome {
  const restoredSegments = [...log.matchAll(/restored log file "([0-9A-F]{24})" from archive/g)].map((m) => m[1]!);
  const stoppedAt = /LOG:\s+(recovery stopping [^\n]*)/.exec(log)?.[1];
  const redo = [...log.matchAll(/redo done at ([0-9A-F]+\/[0-9A-F]+)/g)].at(-1)?.[1];
  const lastTx = [...log.matchAll(/last completed transaction was at log time ([^\n]+?)\.?$/gim)].at(-1)?.[1];
  const tli = [...log.matchAll(/selected new timeline ID: (\d+)/g)].at(-1)?.[1];
  return { stoppedAt, lastReplayedLsn: redo, lastTransactionTime: lastTx, restoredSegments, timeline: tli ? Number(tli) : undefined };
}

/** Turn PostgreSQL's reason for giving up into an error a user can act on. */
function failure(r: RecoveryRun, log: string): Error {
  const tail = log.trimEnd().split("\n").slice(-12).join("\n");
  const target = describeTarget(r.target);
  if (/recovery ended before configured recovery target was reached/.test(log)) {
    return new SourceError(
      `The recovery target ${target} is past the end of the WAL archive (${r.explain.archiveEnd}). ` +
        `Archive newer WAL first (on the source, SELECT pg_switch_wal() closes the current segment) or choose an earlier target.`,
    );
  }
  if (/requested recovery stop point is before consistent recovery point/.test(log)) {
    return new SourceError(
      `The recovery target ${target} is before the end of the base backup (${r.explain.backupEnd}); choose a later target or an older base backup.`,
    );
  }
  if (/WAL ends before consistent recovery point|could not locate required checkpoint record|could not find redo location/.test(log)) {
    return new SourceError(
      `The WAL archive lacks WAL the base backup needs to become consistent (${r.explain.backupEnd}; archive: ${r.explain.archiveEnd}). ` +
        `Point --wal-archive at the archive the source wrote while the backup ran.\n${tail}`,
    );
  }
  if (/insufficient parameter settings|recovery has paused/.test(log)) {
    return new NotSupportedError(`Recovery paused: the source raised a server limit during the replayed period, which a replay cannot follow.\n${tail}`);
  }
  return new BuildError(`Recovery to ${target} failed.\n${tail}`);
}

/** Replay to the target. Resolves after the server promoted (or shut down at the target) and stopped. */
export async function runRecovery(r: RecoveryRun): Promise<RecoveryOutcome> {
  await refuseReplayOutside(r.bins, r.dataDir, "The base backup", r.archiveDir);
  const control = await controlData(r.bins, r.dataDir);
  // With an archive: archive recovery. Without: crash recovery from backup_label over the WAL the backup carries.
  if (r.archiveDir) await writeServerFile(path.join(r.dataDir, "recovery.signal"), "");
  const socketDir = await mkdtemp(path.join(os.tmpdir(), "dbclone-rec-"));
  let pid: number | undefined;
  const logFile = path.join(socketDir, "postgres.log");
  const readLog = () => readFile(logFile, "utf8").catch(() => "");
  try {
    await chmod(socketDir, 0o700);
    await giveToServerUser(socketDir);
    const hbaFile = path.join(socketDir, "pg_hba.conf");
    await writeServerFile(hbaFile, LOCAL_TRUST_HBA);
    await writeFile(logFile, "", { mode: 0o640 });
    await giveToServerUser(logFile);
    const settings: Record<string, string> = {
      ...commonSettings(r.dataDir, socketDir, hbaFile),
      ...BUILD_SETTINGS,
      wal_level: "replica", // what the source wrote; minimal would end a hot standby
      hot_standby: "on",
      ...hotStandbySettings(control),
      recovery_target_timeline: "latest",
      cluster_name: "dbclone-recovery",
      ...(r.archiveDir ? { restore_command: restoreCommand(r.archiveDir) } : {}),
      ...(r.archiveDir ? targetSettings(r.target, r.action) : {}),
    };
    r.reporter.info(`Replaying WAL to ${describeTarget(r.target)}`);
    try {
      // Resolves once the server accepts (read-only) connections: recovery is consistent. Any role
      // name serves: "no such role" is an answer too.
      ({ pid } = await launchPostgres({
        bins: r.bins,
        dataDir: r.dataDir,
        socketDir,
        port: 5432,
        settings,
        logFile,
        connectUser: "dbclone_recovery_probe",
        timeoutMs: r.timeoutMs ?? 6 * 3600_000,
      }));
    } catch (e) {
      const log = await readLog();
      if (r.action === "shutdown" && /shutdown at recovery target/.test(log)) return parseRecoveryLog(log);
      if (e instanceof CommandError) throw failure(r, log);
      throw e;
    }

    // Wait for the promotion (pg_control says "in production") or, for a kept state, the exit.
    while (true) {
      const log = await readLog();
      if (!isAlive(pid)) {
        if (r.action === "shutdown" && /shutdown at recovery target/.test(log)) return parseRecoveryLog(log);
        throw failure(r, log);
      }
      if (/recovery has paused|insufficient parameter settings/.test(log)) throw failure(r, log);
      if (r.action === "promote") {
        const state = (await controlData(r.bins, r.dataDir).catch(() => undefined))?.get("Database cluster state");
        if (state === "in production") break;
      }
      await sleep(POLL_MS);
    }
    await stopPostgres(pid, { fast: true });
    pid = undefined;
    const outcome = parseRecoveryLog(await readLog());
    r.reporter.debug(`Recovery ${outcome.stoppedAt ?? "reached the end of the WAL"}; redo done at ${outcome.lastReplayedLsn ?? "?"}`);
    return outcome;
  } finally {
    if (pid !== undefined) await stopPostgres(pid, { fast: true, graceMs: 30_000 }).catch(() => undefined);
    await rm(socketDir, { recursive: true, force: true });
  }
}
