// A clone's schema as normalized, sorted lines (tables, columns, indexes, constraints), read from
// the PostgreSQL catalogs with the clone's own login. Sorted lines diff cleanly and stably, unlike
// pg_dump text whose order and comments shift between versions.
import pg from "pg";
import type { SchemaConnection } from "../types.js";

const USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

/** One line per fact, sorted, prefixed with the database so several databases stay apart. */
export async function snapshotSchema(conn: SchemaConnection, databases: string[]): Promise<string[]> {
  const lines: string[] = [];
  for (const database of databases) {
    const client = new pg.Client({ ...conn, database, connectionTimeoutMillis: 15_000 });
    await client.connect();
    try {
      lines.push(...(await databaseLines(client, database)));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return lines.sort();
}

async function databaseLines(c: pg.Client, db: string): Promise<string[]> {
  const out: string[] = [];
  // pg_catalog rather than information_schema: the latter hides what the login has no privilege on.
  const tables = await c.query<{ t: string }>(
    `SELECT format('%I.%I', n.nspname, r.relname) AS t FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
      WHERE r.relkind IN ('r', 'p') AND ${USER_SCHEMAS}`,
  );
  for (const row of tables.rows) out.push(`${db}: table ${row.t}`);
  const columns = await c.query<{ t: string; col: string; type: string; notnull: boolean; def: string | null }>(
    `SELECT format('%I.%I', n.nspname, r.relname) AS t, quote_ident(a.attname) AS col, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def
       FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n ON n.oid = r.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE r.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND ${USER_SCHEMAS}`,
  );
  for (const r of columns.rows) {
    out.push(`${db}: table ${r.t} column ${r.col} ${r.type}${r.notnull ? " not null" : ""}${r.def ? ` default ${r.def}` : ""}`);
  }
  const indexes = await c.query<{ t: string; def: string }>(
    `SELECT format('%I.%I', i.schemaname, i.tablename) AS t, i.indexdef AS def FROM pg_indexes i
      WHERE i.schemaname NOT IN ('pg_catalog', 'information_schema')`,
  );
  for (const r of indexes.rows) out.push(`${db}: table ${r.t} index ${r.def}`);
  const constraints = await c.query<{ t: string; name: string; def: string }>(
    `SELECT format('%I.%I', n.nspname, r.relname) AS t, quote_ident(k.conname) AS name, pg_get_constraintdef(k.oid) AS def
       FROM pg_constraint k JOIN pg_class r ON r.oid = k.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
      WHERE ${USER_SCHEMAS}`,
  );
  for (const r of constraints.rows) out.push(`${db}: table ${r.t} constraint ${r.name} ${r.def}`);
  return out;
}
