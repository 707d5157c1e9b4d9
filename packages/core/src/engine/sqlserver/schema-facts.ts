// What resolving a masking policy needs from SQL Server: tables and columns with their type names
// (the inventory of the manifest too), single-column unique indexes and single-column foreign keys.
// One batch per database returns the three recordsets.
import type { DatabaseInfo } from "../types.js";
import type { SchemaFacts } from "../../masking/policy/resolve-policy.js";
import type { SqlExecutor } from "./executor.js";
import { quoteName } from "./quote.js";

const TYPE_NAME = `ty.name + CASE
    WHEN ty.name IN (N'decimal', N'numeric') THEN N'(' + CAST(c.precision AS nvarchar(3)) + N',' + CAST(c.scale AS nvarchar(3)) + N')'
    WHEN ty.name IN (N'nvarchar', N'nchar') THEN N'(' + CASE WHEN c.max_length = -1 THEN N'max' ELSE CAST(c.max_length / 2 AS nvarchar(5)) END + N')'
    WHEN ty.name IN (N'varchar', N'char', N'varbinary', N'binary') THEN N'(' + CASE WHEN c.max_length = -1 THEN N'max' ELSE CAST(c.max_length AS nvarchar(5)) END + N')'
    WHEN ty.name IN (N'datetime2', N'datetimeoffset', N'time') THEN N'(' + CAST(c.scale AS nvarchar(2)) + N')'
    ELSE N'' END`;

export function schemaFactsSql(db: string): string {
  return `USE ${quoteName(db)};
SELECT s.name AS [schema], t.name AS [table], c.name AS [column], ${TYPE_NAME} AS [type], c.is_nullable AS nullable,
       (SELECT SUM(p.rows) FROM sys.partitions AS p WHERE p.object_id = t.object_id AND p.index_id IN (0, 1)) AS [rows]
  FROM sys.tables AS t JOIN sys.schemas AS s ON s.schema_id = t.schema_id
  JOIN sys.columns AS c ON c.object_id = t.object_id JOIN sys.types AS ty ON ty.user_type_id = c.user_type_id
  WHERE t.is_ms_shipped = 0 ORDER BY s.name, t.name, c.column_id;
SELECT SCHEMA_NAME(t.schema_id) AS [schema], t.name AS [table], c.name AS [column]
  FROM sys.indexes AS i JOIN sys.tables AS t ON t.object_id = i.object_id
  JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.is_included_column = 0
  JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
  WHERE i.is_unique = 1 AND t.is_ms_shipped = 0
    AND (SELECT COUNT(*) FROM sys.index_columns AS k WHERE k.object_id = i.object_id AND k.index_id = i.index_id AND k.is_included_column = 0) = 1;
SELECT SCHEMA_NAME(pt.schema_id) AS from_schema, pt.name AS from_table, pc.name AS from_column,
       SCHEMA_NAME(rt.schema_id) AS to_schema, rt.name AS to_table, rc.name AS to_column
  FROM sys.foreign_keys AS fk JOIN sys.foreign_key_columns AS fkc ON fkc.constraint_object_id = fk.object_id
  JOIN sys.tables AS pt ON pt.object_id = fk.parent_object_id JOIN sys.columns AS pc ON pc.object_id = fkc.parent_object_id AND pc.column_id = fkc.parent_column_id
  JOIN sys.tables AS rt ON rt.object_id = fk.referenced_object_id JOIN sys.columns AS rc ON rc.object_id = fkc.referenced_object_id AND rc.column_id = fkc.referenced_column_id
  WHERE (SELECT COUNT(*) FROM sys.foreign_key_columns AS k WHERE k.constraint_object_id = fk.object_id) = 1;
USE [master];`;
}

export async function sqlServerSchemaFacts(exec: SqlExecutor, databaseNames: string[]): Promise<SchemaFacts> {
  const facts: SchemaFacts = { databases: [], uniqueColumns: [], foreignKeys: [], readOnlyTables: [], defaultSchema: "dbo" };
  for (const db of databaseNames) {
    const [columns = [], unique = [], fks = []] = await exec.execute(schemaFactsSql(db));
    const info: DatabaseInfo = { name: db, sizeBytes: 0, tables: [] };
    for (const r of columns) {
      let table = info.tables.find((t) => t.schema === r.schema && t.name === r.table);
      if (!table) {
        table = { schema: String(r.schema), name: String(r.table), rowEstimate: Number(r.rows ?? 0), sizeBytes: 0, columns: [] };
        info.tables.push(table);
      }
      table.columns.push({ name: String(r.column), type: String(r.type), nullable: Boolean(r.nullable) });
    }
    facts.databases.push(info);
    facts.uniqueColumns.push(...unique.map((r) => ({ database: db, schema: String(r.schema), table: String(r.table), column: String(r.column) })));
    for (const r of fks) {
      facts.foreignKeys.push({
        from: { database: db, schema: String(r.from_schema), table: String(r.from_table), column: String(r.from_column) },
        to: { database: db, schema: String(r.to_schema), table: String(r.to_table), column: String(r.to_column) },
      });
    }
  }
  return facts;
}
