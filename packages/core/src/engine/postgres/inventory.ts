// What an image holds, for its manifest: databases, tables, columns, row estimates, sizes.
import type pg from "pg";
import type { DatabaseInfo, RunningServer, TableInfo } from "../types.js";
import { userDatabases, withAdmin } from "./client.js";
import { SYSTEM_SCHEMA_FILTER } from "./sql.js";

const TABLES_SQL = `
SELECT n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS reltuples,
       pg_total_relation_size(c.oid)::int8 AS size,
       coalesce((SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                                   'nullable', NOT a.attnotnull) ORDER BY a.attnum)
                 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND ${SYSTEM_SCHEMA_FILTER}
ORDER BY 1, 2`;

interface TableRow {
  schema: string;
  name: string;
  reltuples: number;
  size: string;
  columns: TableInfo["columns"];
}

async function describeDatabase(c: pg.Client, name: string): Promise<DatabaseInfo> {
  const size = await c.query<{ size: string }>("SELECT pg_database_size(current_database())::int8 AS size");
  const rows = await c.query<TableRow>(TABLES_SQL);
  return {
    name,
    sizeBytes: Number(size.rows[0]!.size),
    tables: rows.rows.map((r) => ({
      schema: r.schema,
      name: r.name,
      // -1 means "never analysed" (PostgreSQL 14+): report 0 rather than a negative count.
      rowEstimate: Math.max(0, Math.round(r.reltuples)),
      sizeBytes: Number(r.size),
      columns: r.columns,
    })),
  };
}

// The default "postgres" database is noise unless someone put tables in it.
const isNoise = (name: string, tables: number) => name === "postgres" && tables === 0;

export async function inventory(server: RunningServer): Promise<DatabaseInfo[]> {
  const names = await withAdmin(server, "template1", userDatabases);
  const result: DatabaseInfo[] = [];
  for (const name of names) {
    const info = await withAdmin(server, name, (c) => describeDatabase(c, name));
    if (!isNoise(name, info.tables.length)) result.push(info);
  }
  return result;
}

/** The names of the databases inventory() lists (an image's, a clone's login is granted), without describing them. */
export async function imageDatabaseNames(server: RunningServer): Promise<string[]> {
  const names = await withAdmin(server, "template1", userDatabases);
  const result: string[] = [];
  for (const name of names) {
    const tables = name === "postgres" ? await withAdmin(server, name, async (c) => (await c.query(TABLES_SQL)).rowCount ?? 0, { catalogOnly: true }) : 1;
    if (!isNoise(name, tables)) result.push(name);
  }
  return result;
}
