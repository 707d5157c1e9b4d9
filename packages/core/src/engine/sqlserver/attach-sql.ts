// Detach and attach: the build's fresh attach (FOR ATTACH_REBUILD_LOG: a brand-new log) and each
// clone's attach under its own name. CREATE DATABASE takes no variables, so names and paths are
// quoted with quoteName / nString; procedures (sp_detach_db) take parameters.
import { quoteName, nString } from "./quote.js";
import type { Statement } from "./restore-sql.js";

export interface AttachFile {
  logicalName: string;
  path: string;
}

/**
 * USE [master] first (our own session in the database would make detach fail: Msg 3703), then
 * SINGLE_USER so sp_detach_db finds no other session. SINGLE_USER is stored in the files and comes
 * back on attach (then every pooled client but one gets Msg 924), so an image's files go out
 * MULTI_USER again (`forImage`); a clone's teardown discards its files and keeps other sessions out.
 */
export function detachStatements(db: string, opts: { forImage?: boolean } = {}): Statement[] {
  const q = quoteName(db);
  const exclusive = `ALTER DATABASE ${q} SET SINGLE_USER WITH ROLLBACK IMMEDIATE;${opts.forImage ? ` ALTER DATABASE ${q} SET MULTI_USER;` : ""}`;
  return [
    { sql: `USE [master];\nIF DB_ID(@db) IS NOT NULL BEGIN ${exclusive} END;`, params: { db } },
    { sql: "IF DB_ID(@db) IS NOT NULL EXEC master.sys.sp_detach_db @dbname = @db, @skipchecks = N'true';", params: { db } },
  ];
}

/** After an attach: an image made before this fix (or any attached file) may carry SINGLE_USER. */
export const multiUserSql = (db: string): string => `ALTER DATABASE ${quoteName(db)} SET MULTI_USER;`;

const fileSpecs = (files: AttachFile[]): string => files.map((f) => `  (NAME = ${nString(f.logicalName)}, FILENAME = ${nString(f.path)})`).join(",\n");

/** Data files only: the log is left behind and rebuilt, so nothing of the old log survives. */
export function attachRebuildLogSql(db: string, dataFiles: AttachFile[]): string {
  return `CREATE DATABASE ${quoteName(db)} ON\n${fileSpecs(dataFiles)}\nFOR ATTACH_REBUILD_LOG;`;
}

export interface CloneAttachOptions {
  /**
   * FILESTREAM(DIRECTORY_NAME = …): unique per instance, and every clone of one image carries the
   * same name, so the second attach fails unless each clone gets its own (CREATE DATABASE docs).
   */
  filestreamDirectory?: string;
}

/**
 * A clone's databases: every file (data, log, FILESTREAM, full-text) at its path on the child disk.
 * WITH NEW_BROKER: every clone of an image carries the same service_broker_guid; a second one
 * would attach with Service Broker disabled and conversations pointing at the first.
 */
export function attachCloneSql(db: string, files: AttachFile[], opts: CloneAttachOptions = {}): string {
  const options = ["NEW_BROKER", ...(opts.filestreamDirectory ? [`FILESTREAM (DIRECTORY_NAME = ${nString(opts.filestreamDirectory)})`] : [])];
  return `CREATE DATABASE ${quoteName(db)} ON\n${fileSpecs(files)}\nFOR ATTACH WITH ${options.join(", ")};`;
}

export const MASTER_FILES: (db: string) => Statement = (db) => ({
  sql: "SELECT name AS logicalName, physical_name AS path, type_desc AS kind FROM sys.master_files WHERE database_id = DB_ID(@db) ORDER BY file_id;",
  params: { db },
});
