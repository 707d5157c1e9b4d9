// The T-SQL of SQL Server masking. Mapping values (original → masked) are computed in Node by the
// same code as PostgreSQL (masking/transformers/family-mapping.ts) and travel as parameters; the SQL
// here only joins them in. Names go through quoteName; the table's `where` is the policy's own SQL.
import { NotSupportedError } from "../../errors.js";
import type { ResolvedRule } from "../../masking/policy/types.js";
import { valueTransformers } from "../../masking/transformers/value-transformers.js";
import { quoteName } from "./quote.js";
import type { Statement } from "./restore-sql.js";

/** Binary comparison: 'Alice' and 'alice' are two inputs with two outputs, whatever the database collation. */
export const BIN = "Latin1_General_100_BIN2";
/** Rows per INSERT: 2 parameters each, under SQL Server's 2,100 parameters and 1,000 VALUES rows. */
export const MAP_CHUNK = 1000;

export const tableName = (db: string, schema: string, table: string): string => `${quoteName(db)}.${quoteName(schema)}.${quoteName(table)}`;

const baseType = (type: string): string => type.toLowerCase().replace(/\(.*$/, "").trim();

/**
 * The column's text form, the `value` of the keyed digest (docs/masking.md): the string itself,
 * YYYY-MM-DD for dates, decimal digits for numbers, lowercase GUIDs — as PostgreSQL's ::text gives them.
 */
export function textForm(column: string, type: string): string {
  const c = column;
  switch (baseType(type)) {
    case "date":
      return `CONVERT(nvarchar(10), ${c}, 23)`;
    case "uniqueidentifier":
      return `LOWER(CONVERT(nvarchar(36), ${c}))`;
    case "datetime":
    case "datetime2":
    case "smalldatetime":
    case "datetimeoffset":
      return `CONVERT(nvarchar(40), ${c}, 121)`;
    default:
      return `CAST(${c} AS nvarchar(max))`;
  }
}

/** Distinct non-NULL inputs of one column, in binary collation (a CI collation would merge 'A' and 'a'). */
export function distinctValuesSql(r: ResolvedRule): string {
  const col = quoteName(r.column);
  const where = r.where ? ` AND (${r.where})` : "";
  return `SELECT DISTINCT ${textForm(`t.${col}`, r.type)} COLLATE ${BIN} AS v FROM ${tableName(r.database, r.schema, r.table)} AS t WHERE t.${col} IS NOT NULL${where};`;
}

export const mapTableName = (i: number): string => `#dbclone_map_${i}`;

/** The hash column makes the join indexable for any length (nvarchar(max) cannot be an index key). */
export function createMapTableSql(i: number): string {
  const m = mapTableName(i);
  return [
    `IF OBJECT_ID(N'tempdb..${m}') IS NOT NULL DROP TABLE ${m};`,
    `CREATE TABLE ${m} (original nvarchar(max) COLLATE ${BIN} NOT NULL, masked nvarchar(max) COLLATE ${BIN} NULL, h AS CAST(HASHBYTES('SHA2_256', original) AS binary(32)) PERSISTED);`,
  ].join("\n");
}

export const createMapIndexSql = (i: number): string => `CREATE CLUSTERED INDEX ix_h ON ${mapTableName(i)} (h);`;
export const dropMapTableSql = (i: number): string => `IF OBJECT_ID(N'tempdb..${mapTableName(i)}') IS NOT NULL DROP TABLE ${mapTableName(i)};`;

/** The mapping rows as parameterised multi-row INSERTs: values are never spliced into the SQL. */
export function insertMapStatements(i: number, pairs: [string, string][]): Statement[] {
  const out: Statement[] = [];
  for (let at = 0; at < pairs.length; at += MAP_CHUNK) {
    const part = pairs.slice(at, at + MAP_CHUNK);
    const params: Statement["params"] = {};
    const rows = part.map(([o, n], k) => {
      params[`o${k}`] = o;
      params[`m${k}`] = n;
      return `(@o${k}, @m${k})`;
    });
    out.push({ sql: `INSERT INTO ${mapTableName(i)} (original, masked) VALUES ${rows.join(", ")};`, params });
  }
  return out;
}

/** Decimal places a scaled value is rounded to, as PostgreSQL's cast back to the column type does. */
function scaleOf(type: string): number | undefined {
  const t = baseType(type);
  if (["int", "bigint", "smallint", "tinyint"].includes(t)) return 0;
  if (t === "money" || t === "smallmoney") return 4;
  const m = /^(?:decimal|numeric)\s*\(\s*\d+\s*(?:,\s*(\d+)\s*)?\)/i.exec(type);
  if (m) return Number(m[1] ?? 0);
  return undefined;
}

/** The SET expression of one mapped column; a NULL input finds no mapping row and stays NULL. */
export function applyExpression(r: ResolvedRule, alias: string): string {
  const col = `t.${quoteName(r.column)}`;
  const mode = valueTransformers[r.transformer as keyof typeof valueTransformers].apply;
  if (mode === "shift-days") return `DATEADD(day, CAST(${alias}.masked AS int), ${col})`;
  if (mode === "scale") {
    const product = `${col} * CAST(${alias}.masked AS decimal(19,8))`;
    const scale = scaleOf(r.type);
    return scale === undefined ? `CAST(${product} AS ${r.type})` : `CAST(ROUND(${product}, ${scale}) AS ${r.type})`;
  }
  return `${alias}.masked`;
}

function sqlRuleExpression(r: ResolvedRule, params: Statement["params"]): string {
  const col = `t.${quoteName(r.column)}`;
  switch (r.transformer) {
    case "null":
      return "NULL";
    case "constant": {
      const name = `c${Object.keys(params).length}`;
      params[name] = r.value === undefined || r.value === null ? null : String(r.value);
      return r.fillNulls ? `@${name}` : `CASE WHEN ${col} IS NULL THEN NULL ELSE @${name} END`;
    }
    case "sql": {
      const e = typeof r.expression === "string" ? r.expression : r.expression?.sqlserver;
      if (!e)
        throw new NotSupportedError(
          `${r.database}.${r.schema}.${r.table}.${r.column}: the sql rule has no sqlserver expression; give expression: {sqlserver: …}.`,
        );
      return `(${e})`;
    }
    case "shuffle":
      throw new NotSupportedError(
        `${r.database}.${r.schema}.${r.table}.${r.column}: the shuffle transformer is not implemented for SQL Server yet; use hash or a faker transformer for this column.`,
      );
    default:
      throw new Error(`transformer ${r.transformer} is not a per-row SQL rule`);
  }
}

/**
 * One UPDATE per table: every mapped column LEFT JOINs its family's #map on (hash, original), so
 * NULLs and rows of several masked columns pass in one pass; SQL-only rules join the same SET.
 */
export function tableUpdateStatement(mapped: { rule: ResolvedRule; mapIndex: number }[], sqlRules: ResolvedRule[]): Statement {
  const first = mapped[0]?.rule ?? sqlRules[0];
  if (!first) throw new Error("tableUpdateStatement needs at least one rule");
  const params: Statement["params"] = {};
  const sets: string[] = [];
  const joins: string[] = [];
  mapped.forEach(({ rule, mapIndex }, i) => {
    const alias = `m${i}`;
    const text = `${textForm(`t.${quoteName(rule.column)}`, rule.type)} COLLATE ${BIN}`;
    sets.push(`${quoteName(rule.column)} = ${applyExpression(rule, alias)}`);
    joins.push(
      `LEFT JOIN ${mapTableName(mapIndex)} AS ${alias} ON ${alias}.h = CAST(HASHBYTES('SHA2_256', ${text}) AS binary(32)) AND ${alias}.original = ${text}`,
    );
  });
  for (const r of sqlRules) sets.push(`${quoteName(r.column)} = ${sqlRuleExpression(r, params)}`);
  const lines = [`UPDATE t SET`, `  ${sets.join(",\n  ")}`, `FROM ${tableName(first.database, first.schema, first.table)} AS t`, ...joins];
  if (first.where) lines.push(`WHERE (${first.where})`);
  return { sql: `${lines.join("\n")};`, params };
}

/**
 * Foreign keys are switched off while parent and child columns are rewritten one after the other
 * (both get the same mapping). Only the enabled ones are recorded, so re-enabling changes nothing else.
 */
export function disableForeignKeysSql(db: string): string {
  return `USE ${quoteName(db)};
IF OBJECT_ID(N'tempdb..#dbclone_fks') IS NOT NULL DROP TABLE #dbclone_fks;
SELECT QUOTENAME(SCHEMA_NAME(o.schema_id)) + N'.' + QUOTENAME(o.name) AS tbl, QUOTENAME(fk.name) AS con
  INTO #dbclone_fks
  FROM sys.foreign_keys AS fk JOIN sys.objects AS o ON o.object_id = fk.parent_object_id
  WHERE fk.is_disabled = 0 AND o.is_ms_shipped = 0;
DECLARE @sql nvarchar(max) = N'';
SELECT @sql += N'ALTER TABLE ' + tbl + N' NOCHECK CONSTRAINT ' + con + N';' + NCHAR(10) FROM #dbclone_fks;
EXEC sys.sp_executesql @sql;
USE [master];`;
}

/** WITH CHECK: every row is validated again, so a child masked apart from its parent fails the build here. */
export function enableForeignKeysSql(db: string): string {
  return `USE ${quoteName(db)};
DECLARE @sql nvarchar(max) = N'';
SELECT @sql += N'ALTER TABLE ' + tbl + N' WITH CHECK CHECK CONSTRAINT ' + con + N';' + NCHAR(10) FROM #dbclone_fks;
EXEC sys.sp_executesql @sql;
DROP TABLE #dbclone_fks;
USE [master];`;
}

/** Excluded tables are dropped with the foreign keys that point at them (PostgreSQL's DROP … CASCADE). */
export function dropTableSql(db: string, schema: string, table: string): Statement {
  return {
    sql: `USE ${quoteName(db)};
DECLARE @sql nvarchar(max) = N'';
SELECT @sql += N'ALTER TABLE ' + QUOTENAME(SCHEMA_NAME(o.schema_id)) + N'.' + QUOTENAME(o.name) + N' DROP CONSTRAINT ' + QUOTENAME(fk.name) + N';' + NCHAR(10)
  FROM sys.foreign_keys AS fk JOIN sys.objects AS o ON o.object_id = fk.parent_object_id
  WHERE fk.referenced_object_id = OBJECT_ID(@table) AND fk.parent_object_id <> fk.referenced_object_id;
EXEC sys.sp_executesql @sql;
DROP TABLE ${quoteName(schema)}.${quoteName(table)};
USE [master];`,
    params: { table: `${quoteName(schema)}.${quoteName(table)}` },
  };
}

/** DELETE, not TRUNCATE: TRUNCATE is refused for any table a foreign key references, even a disabled one. */
export const emptyTableSql = (db: string, schema: string, table: string): string => `DELETE FROM ${tableName(db, schema, table)};`;
