// Order and check a backup chain from RESTORE HEADERONLY before anything is restored: one full,
// an optional differential based on that full, and log backups without gaps, all of one database.
// LSNs are numeric(25,0): compared as BigInt (a JS number loses the last digits of real LSNs).
import { SourceError } from "../../errors.js";
import type { Row } from "./executor.js";

export type BackupKind = "full" | "differential" | "log";

export interface BackupHeader {
  file: string;
  /** Backup set inside the file (FILE = n). */
  position: number;
  kind: BackupKind;
  databaseName: string;
  firstLsn: bigint;
  lastLsn: bigint;
  checkpointLsn: bigint;
  differentialBaseLsn: bigint | null;
  familyGuid: string;
  backupSetGuid: string;
  differentialBaseGuid: string | null;
}

export interface BackupChain {
  databaseName: string;
  full: BackupHeader;
  differential?: BackupHeader;
  /** In restore order. */
  logs: BackupHeader[];
}

const KINDS: Record<number, BackupKind> = { 1: "full", 5: "differential", 2: "log" };

function lsn(v: unknown, field: string, file: string): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isFinite(v)) return BigInt(Math.trunc(v));
  if (typeof v === "string" && /^\d+$/.test(v.trim())) return BigInt(v.trim());
  throw new SourceError(`RESTORE HEADERONLY of ${file} gave no usable ${field} (${String(v)}); is this a SQL Server backup file?`);
}

const guid = (v: unknown): string => String(v ?? "").toLowerCase();

/** One HEADERONLY row → a header; other backup types (file, partial) are refused by name. */
export function parseBackupHeader(row: Row, file: string): BackupHeader {
  const type = Number(row.BackupType);
  const kind = KINDS[type];
  if (!kind) {
    throw new SourceError(`${file} holds a backup of type ${type}; dbclone restores full (1), differential (5) and log (2) database backups only.`);
  }
  const diffBase = row.DifferentialBaseLSN;
  return {
    file,
    position: Number(row.Position ?? 1),
    kind,
    databaseName: String(row.DatabaseName),
    firstLsn: lsn(row.FirstLSN, "FirstLSN", file),
    lastLsn: lsn(row.LastLSN, "LastLSN", file),
    checkpointLsn: lsn(row.CheckpointLSN, "CheckpointLSN", file),
    differentialBaseLsn: diffBase === null || diffBase === undefined ? null : lsn(diffBase, "DifferentialBaseLSN", file),
    familyGuid: guid(row.FamilyGUID),
    backupSetGuid: guid(row.BackupSetGUID),
    differentialBaseGuid: row.DifferentialBaseGUID ? guid(row.DifferentialBaseGUID) : null,
  };
}

const where = (h: BackupHeader): string => `${h.file} (set ${h.position}, LSN ${h.firstLsn}–${h.lastLsn})`;

/**
 * Validate and order. `full` must be a full backup; `differential` must be based on it; logs are
 * sorted by FirstLSN, those wholly before the restore point are dropped, and the rest must join
 * end to start (LastLSN of one = FirstLSN of the next) starting at or before the restore point.
 */
export function validateBackupChain(full: BackupHeader, differential: BackupHeader | undefined, logs: BackupHeader[]): BackupChain {
  if (full.kind !== "full") throw new SourceError(`${where(full)} is a ${full.kind} backup, not a full database backup. Pass the full .bak as the first file.`);
  const sameDatabase = (h: BackupHeader): void => {
    if (h.familyGuid !== full.familyGuid || h.databaseName !== full.databaseName) {
      throw new SourceError(
        `${where(h)} belongs to database '${h.databaseName}' (family ${h.familyGuid}), not to '${full.databaseName}' (family ${full.familyGuid}) of the full backup ${full.file}. ` +
          "Pass backups of one database only.",
      );
    }
  };
  let restorePoint = full.lastLsn;
  if (differential) {
    sameDatabase(differential);
    if (differential.kind !== "differential") throw new SourceError(`${where(differential)} is a ${differential.kind} backup, not a differential.`);
    const basedOnFull =
      differential.differentialBaseLsn === full.checkpointLsn &&
      (differential.differentialBaseGuid === null || differential.differentialBaseGuid === full.backupSetGuid);
    if (!basedOnFull) {
      throw new SourceError(
        `The differential ${where(differential)} is based on the full backup at LSN ${differential.differentialBaseLsn}, but ${full.file} is the full backup at LSN ${full.checkpointLsn}. ` +
          "Use the differential taken after this full backup (and before any later full backup), or leave it out.",
      );
    }
    restorePoint = differential.lastLsn;
  }
  const sorted = [...logs].sort((a, b) => (a.firstLsn < b.firstLsn ? -1 : a.firstLsn > b.firstLsn ? 1 : 0));
  for (const h of sorted) {
    sameDatabase(h);
    if (h.kind !== "log") throw new SourceError(`${where(h)} is a ${h.kind} backup, not a log backup; pass it as the full or the differential.`);
  }
  // Logs that end at or before the restore point are already covered by the full/differential.
  const needed = sorted.filter((h) => h.lastLsn > restorePoint);
  if (needed.length > 0) {
    const first = needed[0]!;
    if (first.firstLsn > restorePoint) {
      throw new SourceError(
        `The log chain has a gap: the ${differential ? "differential" : "full backup"} ends at LSN ${restorePoint}, but the first log that follows, ${where(first)}, starts at ${first.firstLsn}. ` +
          "Add the missing log backup(s) or leave the logs out.",
      );
    }
    for (let i = 1; i < needed.length; i++) {
      const prev = needed[i - 1]!;
      const next = needed[i]!;
      if (next.firstLsn !== prev.lastLsn) {
        throw new SourceError(
          `The log chain has a gap between ${where(prev)} and ${where(next)}: ${prev.lastLsn} ≠ ${next.firstLsn}. Add the missing log backup(s) or stop at ${prev.file}.`,
        );
      }
    }
  }
  return { databaseName: full.databaseName, full, differential, logs: needed };
}
