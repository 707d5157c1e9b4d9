// What must be switched off around masking a table, and back on after:
// - DML triggers would fire on the masking UPDATE/DELETE (audit tables get the original values,
//   or business logic runs): the enabled ones are disabled by name and re-enabled by name.
// - A system-versioned table copies every pre-mask row into its history table on UPDATE: versioning
//   is turned off, the history emptied (it holds production values; it is not masked), then turned
//   back on over the same history table ("Stop system-versioning on a temporal table" docs).
import { nString, quoteName } from "./quote.js";
import { tableName } from "./masking-sql.js";

const inDb = (db: string, body: string): string => `USE ${quoteName(db)};\n${body}\nUSE [master];`;
const objectId = (schema: string, table: string): string => `OBJECT_ID(${nString(`${quoteName(schema)}.${quoteName(table)}`)})`;

/** One row per enabled DML trigger of the table: { name }. */
export const enabledTriggersSql = (db: string, schema: string, table: string): string =>
  inDb(db, `SELECT name FROM sys.triggers WHERE parent_id = ${objectId(schema, table)} AND is_disabled = 0 ORDER BY name;`);

export const setTriggersSql = (db: string, schema: string, table: string, triggers: string[], enable: boolean): string =>
  triggers.map((t) => `ALTER TABLE ${tableName(db, schema, table)} ${enable ? "ENABLE" : "DISABLE"} TRIGGER ${quoteName(t)};`).join("\n");

/** Turns versioning off when the table is system-versioned; one row { historySchema, historyTable } (NULLs otherwise). */
export const versioningOffSql = (db: string, schema: string, table: string): string =>
  inDb(
    db,
    `DECLARE @hs sysname, @ht sysname;
SELECT @hs = SCHEMA_NAME(h.schema_id), @ht = h.name FROM sys.tables AS t JOIN sys.tables AS h ON h.object_id = t.history_table_id
  WHERE t.object_id = ${objectId(schema, table)} AND t.temporal_type = 2;
IF @ht IS NOT NULL ALTER TABLE ${quoteName(schema)}.${quoteName(table)} SET (SYSTEM_VERSIONING = OFF);
SELECT @hs AS historySchema, @ht AS historyTable;`,
  );

export const versioningOnSql = (db: string, schema: string, table: string, history: { schema: string; table: string }): string =>
  [
    `TRUNCATE TABLE ${tableName(db, history.schema, history.table)};`,
    inDb(
      db,
      `ALTER TABLE ${quoteName(schema)}.${quoteName(table)} SET (SYSTEM_VERSIONING = ON (HISTORY_TABLE = ${quoteName(history.schema)}.${quoteName(history.table)}, DATA_CONSISTENCY_CHECK = ON));`,
    ),
  ].join("\n");
