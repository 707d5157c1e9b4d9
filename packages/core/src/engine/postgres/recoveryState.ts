// A "recovery staging" data directory kept between builds (--keep-recovery-state DIR): the base
// backup restored and replayed to the last target but never promoted, so the next build only
// replays the newer WAL. A published image cannot serve for this: it was promoted and its WAL reset.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { SourceError, UsageError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { run } from "../../runtime/exec.js";
import type { PgBinaries } from "./binaries.js";
import { placeBaseBackup } from "./baseBackup.js";
import { copyDataDir } from "./dataDir.js";
import { assertReachable } from "./osUser.js";
import type { BaseBackupProbe, BaseBackupSource } from "./pitr-types.js";
import { controlData, runRecovery } from "./recoveryServer.js";
import { describeTarget, type RecoveryTarget } from "./recoveryTarget.js";
import { lsnToBigInt } from "./walArchive.js";

export const STATE_FILE = "dbclone-recovery-state.json";

interface StateFile {
  systemIdentifier: string;
  backupStartLsn: string;
  target: { kind: "time" | "lsn"; value: string; at?: string };
  /** Where replay actually got to (pg_control's minimum recovery ending location). */
  replayedLsn?: string;
  updatedAt: string;
}

/** True when `next` does not go back before `last` (replay only moves forward). */
function isForward(last: StateFile, next: RecoveryTarget): boolean {
  if (next.kind === "end") return false;
  if (next.kind === "lsn") return lsnToBigInt(next.value) >= lsnToBigInt(last.replayedLsn ?? (last.target.kind === "lsn" ? last.target.value : "0/0"));
  // A time after an LSN target is not comparable here: PostgreSQL refuses a stop point before consistency.
  return last.target.kind !== "time" || next.at.getTime() >= new Date(last.target.at ?? last.target.value).getTime();
}

export interface ContinueStateArgs {
  bins: PgBinaries;
  source: BaseBackupSource;
  probe: BaseBackupProbe;
  /** The staging data directory to fill with a copy of the advanced state. */
  dataDir: string;
  reporter: Reporter;
  explain: { backupEnd: string; archiveEnd: string };
}

/**
 * Create the kept state from the base backup (first run) or reuse it, replay it to the target and
 * shut it down there (still in recovery), then copy it into `dataDir` for promotion.
 */
export async function continueKeptState(a: ContinueStateArgs): Promise<Record<string, unknown>> {
  const stateDir = path.resolve(a.source.keepRecoveryState!);
  const target = a.probe.target;
  if (target.kind === "end" || !a.source.walArchive) {
    throw new UsageError("--keep-recovery-state needs --wal-archive and a recovery target (time or LSN): the kept state stops at that target, unpromoted.");
  }
  const stateData = path.join(stateDir, "pgdata");
  const stateFile = path.join(stateDir, STATE_FILE);
  await mkdir(stateDir, { recursive: true, mode: 0o711 });
  await assertReachable(stateData);
  let reused = false;
  if (existsSync(stateFile)) {
    const last = JSON.parse(await readFile(stateFile, "utf8")) as StateFile;
    if (last.backupStartLsn !== a.probe.backup.startLsn) {
      throw new SourceError(
        `The kept recovery state in ${stateDir} was restored from another base backup (started at ${last.backupStartLsn}, this one at ${a.probe.backup.startLsn}). Remove ${stateDir} to start over from this backup.`,
      );
    }
    if (!isForward(last, target)) {
      throw new SourceError(
        `The kept recovery state in ${stateDir} has already replayed to ${last.target.kind} ${last.target.value}, past ${describeTarget(target)}; replay cannot go back. Remove ${stateDir} for a full restore.`,
      );
    }
    reused = true;
    a.reporter.info(`Continuing the kept recovery state in ${stateDir} (last at ${last.target.kind} ${last.target.value})`);
  } else {
    if (existsSync(stateData))
      throw new SourceError(`${stateData} exists but ${stateFile} does not: not a state dbclone kept. Remove it or choose another directory.`);
    a.reporter.info(`Restoring base backup ${a.source.path} into the kept recovery state ${stateDir}`);
    await placeBaseBackup(a.source.path, a.probe.backup, stateData);
  }
  const outcome = await runRecovery({
    bins: a.bins,
    dataDir: stateData,
    archiveDir: a.source.walArchive,
    target,
    action: "shutdown",
    reporter: a.reporter,
    explain: a.explain,
  });
  // The build server runs with fsync off; this directory must survive until the next build.
  await run("sync", ["-f", path.join(stateData, "PG_VERSION")]);
  const control = await controlData(a.bins, stateData);
  const state: StateFile = {
    systemIdentifier: control.get("Database system identifier") ?? "",
    backupStartLsn: a.probe.backup.startLsn,
    target: target.kind === "time" ? { kind: "time", value: target.value, at: target.at.toISOString() } : { kind: "lsn", value: target.value },
    replayedLsn: control.get("Minimum recovery ending location"),
    updatedAt: new Date().toISOString(),
  };
  await writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`);
  await copyDataDir(stateData, a.dataDir); // the copy is promoted; the kept state stays in recovery
  return { dir: stateDir, reused, stateStoppedAt: outcome.stoppedAt, segmentsRestoredIntoState: outcome.restoredSegments.length };
}
