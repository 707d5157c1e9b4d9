// RESTORE statements for one database's chain. Database name, files and MOVE targets are
// parameters (T-SQL accepts variables in every one of these places); MOVE covers every file.
import path from "node:path";
import { SourceError } from "../../errors.js";
import type { BackupChain } from "./backup-chain.js";
import type { Row, SqlValue } from "./executor.js";

export interface Statement {
  sql: string;
  params: Record<string, SqlValue>;
}

export const HEADERONLY: (file: string) => Statement = (file) => ({ sql: "RESTORE HEADERONLY FROM DISK = @file;", params: { file } });
export const FILELISTONLY: (file: string, position: number) => Statement = (file, position) => ({
  sql: "RESTORE FILELISTONLY FROM DISK = @file WITH FILE = @position;",
  params: { file, position },
});
export const DATABASE_EXISTS: (db: string) => Statement = (db) => ({ sql: "SELECT DB_ID(@db) AS id;", params: { db } });

/** D data, L log, S FILESTREAM / memory-optimized container, F full-text catalog. */
export type FileKind = "D" | "L" | "S" | "F";

export interface BackupFile {
  logicalName: string;
  kind: FileKind;
  fileId: number;
}

export function parseFileList(rows: Row[], file: string): BackupFile[] {
  if (rows.length === 0) throw new SourceError(`RESTORE FILELISTONLY of ${file} listed no files; is it a database backup?`);
  return rows.map((r) => {
    const kind = String(r.Type) as FileKind;
    if (!["D", "L", "S", "F"].includes(kind)) throw new SourceError(`${file} lists file ${String(r.LogicalName)} of unknown type ${kind}.`);
    return { logicalName: String(r.LogicalName), kind, fileId: Number(r.FileId) };
  });
}

/** A Windows file-name-safe form of a name (the database name itself stays as it is in SQL). */
export const safeFileName = (name: string): string => name.replace(/[<>:"/\\|?*\u0000-\u001f]/g, "_").replace(/[. ]+$/, "_") || "_";

/** The folder on the disk holding one database's files: numbered, so two names never collide. */
export const databaseDir = (mountPath: string, index: number, db: string): string =>
  path.win32.join(mountPath, "databases", `${index}-${safeFileName(db)}`);

/** Where each file of the backup goes: mdf for the primary, ndf, ldf; folders for FILESTREAM and full-text. */
export function moveTargets(dir: string, files: BackupFile[]): { logicalName: string; kind: FileKind; target: string }[] {
  return files.map((f) => {
    const stem = `f${f.fileId}-${safeFileName(f.logicalName)}`;
    const ext = f.kind === "L" ? ".ldf" : f.kind === "D" ? (f.fileId === 1 ? ".mdf" : ".ndf") : "";
    const folder = f.kind === "S" ? "filestream" : f.kind === "F" ? "fulltext" : "";
    return { logicalName: f.logicalName, kind: f.kind, target: path.win32.join(dir, folder, stem + ext) };
  });
}

/** Full (WITH MOVE), differential, logs — all NORECOVERY — then one RESTORE WITH RECOVERY. */
export function restoreStatements(db: string, chain: BackupChain, targets: { logicalName: string; target: string }[], statsPercent = 5): Statement[] {
  const moves: Record<string, SqlValue> = {};
  const clauses = targets.map((t, i) => {
    moves[`move${i}_from`] = t.logicalName;
    moves[`move${i}_to`] = t.target;
    return `MOVE @move${i}_from TO @move${i}_to`;
  });
  const stats = `STATS = ${Math.trunc(statsPercent)}`;
  const out: Statement[] = [
    {
      sql: `RESTORE DATABASE @db FROM DISK = @file WITH FILE = @position, ${clauses.join(", ")}, NORECOVERY, ${stats};`,
      params: { db, file: chain.full.file, position: chain.full.position, ...moves },
    },
  ];
  if (chain.differential) {
    out.push({
      sql: `RESTORE DATABASE @db FROM DISK = @file WITH FILE = @position, NORECOVERY, ${stats};`,
      params: { db, file: chain.differential.file, position: chain.differential.position },
    });
  }
  for (const log of chain.logs) {
    out.push({ sql: `RESTORE LOG @db FROM DISK = @file WITH FILE = @position, NORECOVERY, ${stats};`, params: { db, file: log.file, position: log.position } });
  }
  out.push({ sql: "RESTORE DATABASE @db WITH RECOVERY;", params: { db } });
  return out;
}

/** RESTORE ... STATS progress arrives as message 3211 ("10 percent processed."), in any language. */
export function restorePercent(m: { number: number; message: string }): number | undefined {
  if (m.number !== 3211) return undefined;
  const n = /(\d+)/.exec(m.message);
  return n ? Number(n[1]) : undefined;
}
