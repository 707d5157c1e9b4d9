// What a base-backup source is and what probing it found: shared by pitr.ts and recoveryState.ts
// without either importing the other.
import type { SourceSpec } from "../types.js";
import type { BaseBackupInfo } from "./baseBackup.js";
import type { RecoveryTarget } from "./recoveryTarget.js";
import type { BackupHistory, WalArchive } from "./walArchive.js";

export type BaseBackupSource = Extract<SourceSpec, { kind: "basebackup" }>;

export interface BaseBackupProbe {
  description: string;
  version?: string;
  major: number;
  backup: BaseBackupInfo;
  archive?: WalArchive;
  history?: BackupHistory;
  target: RecoveryTarget;
  /** Consistency point of the backup: replay must reach it before any target. */
  backupEnd: { lsn?: string; time?: string };
}
