// The identity check of an attached clone, run on the server and failing closed there (THROW):
// the database is attached and online, every file of it is on the clone's own disk (its path holds
// the clone id), and the clone's login is a user in it.
import { quoteName } from "./quote.js";
import type { Statement } from "./restore-sql.js";

export function verifyCloneSql(db: string, login: string, cloneId: string): Statement {
  const sql = [
    "USE [master];",
    "IF DB_ID(@db) IS NULL OR CAST(DATABASEPROPERTYEX(@db, 'Status') AS nvarchar(60)) <> N'ONLINE'",
    "  THROW 50001, N'The clone''s database is not attached and online.', 1;",
    "IF EXISTS (SELECT 1 FROM sys.master_files WHERE database_id = DB_ID(@db) AND CHARINDEX(@marker, physical_name) = 0)",
    "  THROW 50002, N'A file of the clone''s database is not on the clone''s own disk.', 1;",
    `IF NOT EXISTS (SELECT 1 FROM ${quoteName(db)}.sys.database_principals p JOIN sys.server_principals s ON p.sid = s.sid WHERE s.name = @login)`,
    "  THROW 50003, N'The clone''s login is not a user of its database.', 1;",
  ].join("\n");
  return { sql, params: { db, login, marker: cloneId } };
}
