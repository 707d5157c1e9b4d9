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
  /** Bytes the file takes once restored (FILELISTONLY `Size`, numeric(20,0)). */
  sizeBytes: number;
}

/** A whole number from a numeric/bigint column: mssql gives numeric as a number, bigint as a string. */
function wholeNumber(v: unknown, column: string, file: string): number {
  const n = typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : NaN;
  if (Number.isNaN(n))
    throw new SourceError(`RESTORE FILELISTONLY of ${file} gave no usable ${column} (${JSON.stringify(v)}); is this a SQL Server backup file?`);
  return n;
}

/**
 * Result-set columns as documented for RESTORE FILELISTONLY (learn.microsoft.com, "RESTORE
 * Statements - FILELISTONLY"): LogicalName nvarchar(128), Type char(1), Size numeric(20,0), FileID bigint.
 */
export function parseFileList(rows: Row[], file: string): BackupFile[] {
  if (rows.length === 0) throw new SourceError(`RESTORE FILELISTONLY of ${file} listed no files; is it a database backup?`);
  return rows.map((r) => {
    const kind = String(r.Type) as FileKind;
    if (!["D", "L", "S", "F"].includes(kind)) throw new SourceError(`${file} lists file ${String(r.LogicalName)} of unknown type ${kind}.`);
    return { logicalName: String(r.LogicalName), kind, fileId: wholeNumber(r.FileID, "FileID", file), sizeBytes: wholeNumber(r.Size ?? 0, "Size", file) };
  });
}

/** A Windows file-name-safe form of a name (the database name itself stays as it is in SQL). */
export const safeFileName = (name: string): string => name.replace(/[<>:"/\\|?*\u0000-\u001f]/g, "_").replace(/[. ]+$/, "_") || "_";

/** The folder on the disk holding one database's files: numbered, so two names never collide. */
export const databaseDir = (mountPath: string, index: number, db: string): string => path.win32.join(mountPath, "databases", `${index}-${safeFileName(db)}`);

export interface MoveTarget {
  logicalName: string;
  kind: FileKind;
  target: string;
}

/** Where each file of the backup goes: mdf for the primary, ndf, ldf; folders for FILESTREAM and full-text. */
export function moveTargets(dir: string, files: BackupFile[]): MoveTarget[] {
  return files.map((f) => {
    const stem = `f${f.fileId}-${safeFileName(f.logicalName)}`;
    const ext = f.kind === "L" ? ".ldf" : f.kind === "D" ? (f.fileId === 1 ? ".mdf" : ".ndf") : "";
    const folder = f.kind === "S" ? "filestream" : f.kind === "F" ? "fulltext" : "";
    return { logicalName: f.logicalName, kind: f.kind, target: path.win32.join(dir, folder, stem + ext) };
  });
}

/**
 * The folders RESTORE … MOVE needs before it runs: SQL Server creates no directory (Msg 5133, then
 * 3156). A FILESTREAM/full-text container is the opposite: its parent must exist and the container
 * itself must not ("FILESTREAM data" docs: "only the last folder must not exist").
 */
export function foldersToCreate(targets: MoveTarget[]): string[] {
  return [...new Set(targets.map((t) => path.win32.dirname(t.target)))];
}

/** MOVE targets per backup of the chain: the full's files, plus files a differential or log added later. */
export interface ChainMoves {
  full: MoveTarget[];
  /** By backup file and position (`file#position`): the files that backup adds. */
  added: Map<string, MoveTarget[]>;
}

export const backupKey = (h: { file: string; position: number }): string => `${h.file}#${h.position}`;

function withMoves(targets: MoveTarget[]): { clause: string; params: Record<string, SqlValue> } {
  const params: Record<string, SqlValue> = {};
  const clause = targets
    .map((t, i) => {
      params[`move${i}_from`] = t.logicalName;
      params[`move${i}_to`] = t.target;
      return `MOVE @move${i}_from TO @move${i}_to, `;
    })
    .join("");
  return { clause, params };
}

/**
 * Full (WITH MOVE), differential, logs — all NORECOVERY — then one RESTORE WITH RECOVERY. A file
 * added after the full backup is recreated by the differential or log that holds it, at its
 * production path unless that RESTORE moves it too.
 */
export function restoreStatements(db: string, chain: BackupChain, moves: ChainMoves | MoveTarget[], statsPercent = 5): Statement[] {
  const m: ChainMoves = Array.isArray(moves) ? { full: moves, added: new Map() } : moves;
  const stats = `STATS = ${Math.trunc(statsPercent)}`;
  const full = withMoves(m.full);
  const out: Statement[] = [
    {
      sql: `RESTORE DATABASE @db FROM DISK = @file WITH FILE = @position, ${full.clause}NORECOVERY, ${stats};`,
      params: { db, file: chain.full.file, position: chain.full.position, ...full.params },
    },
  ];
  const later: [string, BackupChain["logs"][number]][] = [
    ...(chain.differential ? [["DATABASE", chain.differential] as [string, BackupChain["logs"][number]]] : []),
    ...chain.logs.map((l) => ["LOG", l] as [string, BackupChain["logs"][number]]),
  ];
  for (const [what, h] of later) {
    const w = withMoves(m.added.get(backupKey(h)) ?? []);
    out.push({
      sql: `RESTORE ${what} @db FROM DISK = @file WITH FILE = @position, ${w.clause}NORECOVERY, ${stats};`,
      params: { db, file: h.file, position: h.position, ...w.params },
    });
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
