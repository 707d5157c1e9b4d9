// How big the staging VHDX must be, from the backups themselves, and the Express edition's cap.
// FILELISTONLY `Size` is each file's size once restored (numeric(20,0), bytes), so the disk holds
// every file of every database plus headroom for NTFS metadata, growth during restore and masking.
import { SourceError } from "../../errors.js";
import type { BackupFile } from "./restore-sql.js";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Express: "Maximum relational database size 10 GB" (Editions and supported features of SQL Server). */
export const EXPRESS_DATABASE_LIMIT_BYTES = 10_240 * MiB;
/** SERVERPROPERTY('EngineEdition') = 4 is Express (with or without Advanced Services). */
export const EXPRESS_ENGINE_EDITION = 4;

export const EDITION_QUERY = {
  sql: "SELECT CAST(SERVERPROPERTY('EngineEdition') AS int) AS engineEdition, CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS edition;",
  params: {},
};

/** Restored bytes × 1.25 + 1 GiB: masking and index rebuilds grow files; NTFS and the log need room. */
export function stagingDiskBytes(filesPerDatabase: BackupFile[][]): number {
  const total = filesPerDatabase.flat().reduce((sum, f) => sum + f.sizeBytes, 0);
  return Math.ceil((total * 1.25 + GiB) / MiB) * MiB;
}

/**
 * Express counts data files only (not the log, not FILESTREAM): a database over 10 GB fails RESTORE
 * with Msg 1827 after the disk was made. Say so before anything is created.
 */
export function checkEditionLimit(engineEdition: number, edition: string, databases: { db: string; files: BackupFile[] }[]): void {
  if (engineEdition !== EXPRESS_ENGINE_EDITION) return;
  for (const { db, files } of databases) {
    const data = files.filter((f) => f.kind === "D").reduce((sum, f) => sum + f.sizeBytes, 0);
    if (data > EXPRESS_DATABASE_LIMIT_BYTES) {
      throw new SourceError(
        `Database '${db}' needs ${(data / GiB).toFixed(1)} GiB of data files, over the 10 GB per-database limit of ${edition}. ` +
          "Build on SQL Server Developer or Standard edition (docs/windows.md), or shrink the source database first.",
      );
    }
  }
}
