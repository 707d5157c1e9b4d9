// The PII scan of the columns a policy does not mask: names, types and a sample of values. Text,
// json/jsonb (keys and string values), arrays and composites are all sampled: each value is split
// into its text leaves, and a leaf that looks like PII counts for the column.
import crypto from "node:crypto";
import type { DatabaseInfo } from "../../types.js";
import { qualifiedName, quoteIdent } from "../sql.js";
import { textLeaves } from "../../../masking/leak-scan/explain.js";
import { detectPii, type PiiCandidate } from "../../../masking/pii/detect.js";
import type { ResolvedRule } from "../../../masking/policy/types.js";
import type { WithDatabase } from "./connector.js";

/** Types whose values hold text: plain text, JSON, arrays of anything, composites (records). */
const SAMPLED_TYPES = /^(text|character varying|character|citext|name|varchar|char|jsonb?|xml)\b|\[\]$/;

/**
 * The sample is seeded from the table's identity, so the same data gives the same verdict on
 * every run (TABLESAMPLE … REPEATABLE), and bounded, so a big table costs a few pages.
 */
export function sampleSeed(database: string, schema: string, table: string): number {
  return crypto.createHash("sha256").update(`dbclone/pii-sample/v1\u0000${database}\u0000${schema}\u0000${table}`).digest().readUInt32BE(0) % 2_147_483_647;
}

export async function scanUnmaskedPii(withDb: WithDatabase, databases: DatabaseInfo[], rules: ResolvedRule[] = [], sampleRows = 200): Promise<PiiCandidate[]> {
  const masked = new Set(rules.map((r) => [r.database, r.schema, r.table, r.column].join("\u0000")));
  const found: PiiCandidate[] = [];
  for (const db of databases) {
    await withDb(db.name, async (c) => {
      // Columns of a composite (record) type, by catalog identity rather than by type name: a
      // type's printed name depends on the search path, and format_type() could be a look-alike.
      const compositeColumns = new Set(
        (
          await c.query<{ s: string; t: string; c: string }>(
            `SELECT n.nspname AS s, r.relname AS t, a.attname AS c
             FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n ON n.oid = r.relnamespace
               JOIN pg_type ty ON ty.oid = a.atttypid
             WHERE a.attnum > 0 AND NOT a.attisdropped AND ty.typtype = 'c'`,
          )
        ).rows.map((r) => [r.s, r.t, r.c].join("\u0000")),
      );
      for (const t of db.tables) {
        const open = t.columns.filter((col) => !masked.has([db.name, t.schema, t.name, col.name].join("\u0000")));
        if (open.length === 0) continue;
        const isComposite = (col: { name: string }) => compositeColumns.has([t.schema, t.name, col.name].join("\u0000"));
        const sampled = open.filter((col) => SAMPLED_TYPES.test(col.type) || isComposite(col));
        let rows: unknown[][] = [];
        if (sampled.length > 0) {
          // Arrays and json come back parsed (their leaves are walked); composites as their text form.
          const cols = sampled.map((col) => (isComposite(col) ? `${quoteIdent(col.name)}::text` : quoteIdent(col.name))).join(", ");
          const sample = t.rowEstimate > 100_000 ? ` TABLESAMPLE SYSTEM (1) REPEATABLE (${sampleSeed(db.name, t.schema, t.name)})` : "";
          const r = await c.query({ text: `SELECT ${cols} FROM ${qualifiedName(t.schema, t.name)}${sample} LIMIT ${sampleRows}`, rowMode: "array" });
          rows = r.rows as unknown[][];
        }
        for (const col of open) {
          const i = sampled.indexOf(col);
          // One value per row: its first leaf that looks like PII, else its first leaf (so the
          // share of rows, not of leaves, decides — a JSON object's keys do not dilute it).
          const values: string[] = [];
          if (i >= 0) {
            for (const row of rows) {
              const leaves = [...textLeaves(row[i], isComposite(col))].map((l) => Buffer.from(l).toString("utf8")).filter((l) => l.length > 0);
              const telling = leaves.find((l) => detectPii({ name: "", type: col.type }, [l]).kinds.length > 0);
              if (telling ?? leaves[0]) values.push((telling ?? leaves[0])!);
            }
          }
          const { kinds, reasons } = detectPii(col, values);
          if (kinds.length) found.push({ database: db.name, schema: t.schema, table: t.name, column: col.name, type: col.type, kinds, reasons });
        }
      }
    });
  }
  return found;
}
