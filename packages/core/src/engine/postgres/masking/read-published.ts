// Stream everything a masked PostgreSQL server will publish through the leak scan's logical side
// (explain.ts): every user table's every column and the text of the system catalogs, in every
// database that accepts connections, through server-side cursors (bounded memory at any size).
// Catalog bytes a user's data can reach are read too: large objects, trigger arguments, fast
// defaults and the constants inside stored expression trees (node-tree-constants.ts).
import type pg from "pg";
import { qualifiedName, quoteIdent } from "../sql.js";
import { textLeaves, type ValueOrigin } from "../../../masking/leak-scan/explain.js";
import type { PublishedSink } from "../../../masking/leak-scan/published-cache.js";
import type { WithDatabase } from "./connector.js";
import { nodeTreeConstants } from "./node-tree-constants.js";
import { UnscannableDatabaseError } from "../../../masking/errors.js";

const FETCH_ROWS = 2000;

interface RelationColumns {
  schema: string;
  name: string;
  /** System catalogs and information_schema: their text is read as text; an original inside it is a copy. */
  catalog: boolean;
  /** The catalog's column naming the object a row describes (oid, objoid, attrelid …), if any. */
  user_key: string | null;
  toast: boolean;
  columns: { name: string; type: string; composite: boolean }[];
}

// Catalog rows about objects a user made (OID ≥ FirstNormalObjectId) can hold copied personal data
// (a comment quoting a customer, an email literal in a view, default or function body): their text
// is judged as copies. Rows initdb made (the stock comments, collations, SQL features) are only
// explained, so a first name that is also a word in PostgreSQL's own comments is not a copy. A
// catalog without such a column is judged whole (fail closed); information_schema's tables are
// stock (initdb loads them).
const FIRST_NORMAL_OID = 16384;
const USER_KEYS = ["oid", "objoid", "attrelid", "indexrelid", "aggfnoid", "stxoid", "partrelid", "ftrelid", "setdatabase", "roident"];
const USER_KEYS_SQL = `ARRAY[${USER_KEYS.map((k) => `'${k}'`).join(", ")}]`;

// User tables and materialized views: every column. Catalogs and information_schema: their
// text-like columns. TOAST relations: the chunks of live long values.
const RELATIONS_SQL = `
SELECT n.nspname AS schema, c.relname AS name, n.nspname IN ('pg_catalog', 'information_schema') AS catalog, c.relkind = 't' AS toast,
       (SELECT k.attname::text FROM pg_attribute k WHERE k.attrelid = c.oid AND k.attnum > 0 AND k.attname::text = ANY (${USER_KEYS_SQL})
         ORDER BY array_position(${USER_KEYS_SQL}, k.attname::text) LIMIT 1) AS user_key,
       json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'composite', t.typtype = 'c' OR et.typtype = 'c') ORDER BY a.attnum) AS columns
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typelem <> 0
WHERE (c.relkind = 'r' OR c.relkind = 'm' AND c.relispopulated OR c.relkind = 't' AND a.attname = 'chunk_data')
  AND (n.nspname = 'pg_catalog' AND t.typname IN ('text', 'name', 'varchar', 'bpchar', 'pg_node_tree', '_text', '_name', 'bytea', 'anyarray')
       OR n.nspname = 'information_schema'
       OR c.relkind = 't'
       OR n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%')
  AND c.relname <> 'pg_statistic'
GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2`;

export interface PublishedColumnFilter {
  /** True when the column is masked by the policy (its values are explained, never copies). */
  isMasked(database: string, schema: string, table: string, column: string): boolean;
}

const DATABASES_SQL = "SELECT datname, datallowconn AS open FROM pg_database ORDER BY datname";

export async function readPublished(withDb: WithDatabase, content: PublishedSink, filter: PublishedColumnFilter): Promise<string[]> {
  // A database that refuses connections (a data-directory source can bring one) is published all
  // the same, but nothing here can read it: fail closed. template0 is initdb's, never connectable.
  const all = await withDb("postgres", async (c) => (await c.query<{ datname: string; open: boolean }>(DATABASES_SQL)).rows);
  const closed = all.filter((d) => !d.open && d.datname !== "template0").map((d) => d.datname);
  if (closed.length)
    throw new UnscannableDatabaseError(
      `the leak scan cannot read database(s) ${closed.map((d) => JSON.stringify(d)).join(", ")}: they refuse connections, yet the image would publish them, so nothing was published. ` +
        "In the source, allow connections to them (ALTER DATABASE … ALLOW_CONNECTIONS true) or drop them, then build again.",
    );
  const databases = all.filter((d) => d.open).map((d) => d.datname);
  for (const database of databases) {
    await withDb(database, async (c) => {
      const relations = (await c.query<RelationColumns>(RELATIONS_SQL)).rows;
      for (const rel of relations) await readRelation(c, database, rel, content, filter);
    });
  }
  return databases;
}

async function readRelation(c: pg.Client, database: string, rel: RelationColumns, content: PublishedSink, filter: PublishedColumnFilter): Promise<void> {
  // Catalog types the driver does not parse (name[], pg_node_tree) are read as text or text[].
  // Catalog bytea (large objects' pages, trigger arguments) is read as its bytes; anyarray (a fast
  // default's attmissingval) as its text form, which quotes each element whole.
  const columns = rel.columns.map((col) =>
    rel.toast || !rel.catalog || col.type === "bytea" ? quoteIdent(col.name) : `${quoteIdent(col.name)}${col.type.endsWith("[]") ? "::text[]" : "::text"}`,
  );
  const trees = rel.columns.map((col) => rel.catalog && col.type === "pg_node_tree");
  // Last column for catalogs: whether the row is about an object a user made.
  const userRow = rel.schema === "information_schema" ? "false" : rel.user_key ? `${quoteIdent(rel.user_key)}::oid >= ${FIRST_NORMAL_OID}::oid` : "true";
  const select = [...columns, ...(rel.catalog ? [userRow] : [])].join(", ");
  const origins: ValueOrigin[] = rel.columns.map((col) => {
    const column = { database, schema: rel.schema, table: rel.name, column: col.name };
    if (rel.toast) return { kind: "toast" };
    if (rel.catalog) return { kind: "catalog", column };
    return filter.isMasked(database, rel.schema, rel.name, col.name) ? { kind: "masked" } : { kind: "unmasked", column };
  });
  const stock: ValueOrigin = { kind: "catalog" };
  await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    await c.query(`DECLARE dbclone_published NO SCROLL CURSOR FOR SELECT ${select} FROM ${qualifiedName(rel.schema, rel.name)}`);
    for (;;) {
      const batch = await c.query({ text: `FETCH ${FETCH_ROWS} FROM dbclone_published`, rowMode: "array" });
      for (const row of batch.rows as unknown[][]) {
        const madeByUser = !rel.catalog || row[rel.columns.length] === true;
        for (let i = 0; i < rel.columns.length; i++) {
          const value = row[i];
          const leaves =
            trees[i] && typeof value === "string" ? [...textLeaves(value), ...nodeTreeConstants(value)] : textLeaves(value, rel.columns[i]!.composite);
          content.addValue(leaves, madeByUser ? origins[i]! : stock);
        }
      }
      if (batch.rows.length < FETCH_ROWS) break;
    }
  } finally {
    await c.query("COMMIT");
  }
}
