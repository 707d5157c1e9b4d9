// What resolving a policy needs beyond the inventory: unique columns, foreign keys, read-only relations.
import type { DatabaseInfo } from "../../types.js";
import { SYSTEM_SCHEMA_FILTER } from "../sql.js";
import type { ColumnRef, SchemaFacts } from "../../../masking/policy/resolve-policy.js";
import type { WithDatabase } from "./connector.js";

const UNIQUE_SQL = `
SELECT n.nspname AS schema, c.relname AS table, a.attname AS column
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
WHERE i.indisunique AND i.indnkeyatts = 1 AND i.indexprs IS NULL AND ${SYSTEM_SCHEMA_FILTER}`;

const FOREIGN_KEYS_SQL = `
SELECT fn.nspname AS from_schema, fc.relname AS from_table, fa.attname AS from_column,
       tn.nspname AS to_schema, tc.relname AS to_table, ta.attname AS to_column
FROM pg_constraint k
JOIN pg_class fc ON fc.oid = k.conrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace
JOIN pg_class tc ON tc.oid = k.confrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
JOIN pg_attribute fa ON fa.attrelid = k.conrelid AND fa.attnum = k.conkey[1]
JOIN pg_attribute ta ON ta.attrelid = k.confrelid AND ta.attnum = k.confkey[1]
WHERE k.contype = 'f' AND cardinality(k.conkey) = 1`;

const READ_ONLY_SQL = `
SELECT n.nspname AS schema, c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('m', 'v') AND ${SYSTEM_SCHEMA_FILTER}`;

export async function schemaFacts(withDb: WithDatabase, databases: DatabaseInfo[]): Promise<SchemaFacts> {
  const facts: SchemaFacts = { databases, uniqueColumns: [], foreignKeys: [], readOnlyTables: [], defaultSchema: "public" };
  for (const db of databases) {
    await withDb(db.name, async (c) => {
      const unique = await c.query<Omit<ColumnRef, "database">>(UNIQUE_SQL);
      facts.uniqueColumns.push(...unique.rows.map((r) => ({ database: db.name, ...r })));
      const fks = await c.query<Record<string, string>>(FOREIGN_KEYS_SQL);
      for (const r of fks.rows) {
        facts.foreignKeys.push({
          from: { database: db.name, schema: r.from_schema!, table: r.from_table!, column: r.from_column! },
          to: { database: db.name, schema: r.to_schema!, table: r.to_table!, column: r.to_column! },
        });
      }
      const ro = await c.query<{ schema: string; table: string }>(READ_ONLY_SQL);
      facts.readOnlyTables!.push(...ro.rows.map((r) => ({ database: db.name, ...r })));
    });
  }
  return facts;
}
