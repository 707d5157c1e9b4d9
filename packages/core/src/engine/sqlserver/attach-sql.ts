// Detach and attach: the build's fresh attach (FOR ATTACH_REBUILD_LOG: a brand-new log) and each
// clone's attach under its own name. CREATE DATABASE takes no variables, so names and paths are
// quoted with quoteName / nString; procedures (sp_detach_db) take parameters.
import { quoteName, nString } from "./quote.js";
import type { Statement } from "./restore-sql.js";

export interface AttachFile {
  logicalName: string;
  path: string;
}

/** SINGLE_USER first: sp_detach_db fails while any other session uses the database. */
export function detachStatements(db: string): Statement[] {
  return [
    { sql: `IF DB_ID(@db) IS NOT NULL ALTER DATABASE ${quoteName(db)} SET SINGLE_USER WITH ROLLBACK IMMEDIATE;`, params: { db } },
    { sql: "IF DB_ID(@db) IS NOT NULL EXEC master.sys.sp_detach_db @dbname = @db, @skipchecks = N'true';", params: { db } },
  ];
}

const fileSpecs = (files: AttachFile[]): string =>
  files.map((f) => `  (NAME = ${nString(f.logicalName)}, FILENAME = ${nString(f.path)})`).join(",\n");

/** Data files only: the log is left behind and rebuilt, so nothing of the old log survives. */
export function attachRebuildLogSql(db: string, dataFiles: AttachFile[]): string {
  return `CREATE DATABASE ${quoteName(db)} ON\n${fileSpecs(dataFiles)}\nFOR ATTACH_REBUILD_LOG;`;
}

/** A clone's databases: every file (data, log, FILESTREAM, full-text) at its path on the child disk. */
export function attachCloneSql(db: string, files: AttachFile[]): string {
  return `CREATE DATABASE ${quoteName(db)} ON\n${fileSpecs(files)}\nFOR ATTACH;`;
}

export const MASTER_FILES: (db: string) => Statement = (db) => ({
  sql: "SELECT name AS logicalName, physical_name AS path, type_desc AS kind FROM sys.master_files WHERE database_id = DB_ID(@db) ORDER BY file_id;",
  params: { db },
});
