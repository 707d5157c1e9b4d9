// The PII scan of the columns a policy does not mask: names, types and a sample of values.
import type { DatabaseInfo } from "../../engine/types.js";
import { qualifiedName, quoteIdent } from "../../engine/postgres/sql.js";
import { detectPii, type PiiCandidate } from "../pii/detect.js";
import type { ResolvedRule } from "../policy/types.js";
import type { WithDatabase } from "./connector.js";

const TEXT_TYPES = /^(text|character varying|character|citext|name|varchar|char)/;

export async function scanUnmaskedPii(withDb: WithDatabase, databases: DatabaseInfo[], rules: ResolvedRule[] = [], sampleRows = 200): Promise<PiiCandidate[]> {
  const masked = new Set(rules.map((r) => [r.database, r.schema, r.table, r.column].join("\u0000")));
  const found: PiiCandidate[] = [];
  for (const db of databases) {
    await withDb(db.name, async (c) => {
      for (const t of db.tables) {
        const open = t.columns.filter((col) => !masked.has([db.name, t.schema, t.name, col.name].join("\u0000")));
        if (open.length === 0) continue;
        const textual = open.filter((col) => TEXT_TYPES.test(col.type));
        let rows: string[][] = [];
        if (textual.length > 0) {
          // A bounded sample: the first rows plus a random page sample on big tables.
          const cols = textual.map((col) => `${quoteIdent(col.name)}::text`).join(", ");
          const sampled = t.rowEstimate > 100_000 ? " TABLESAMPLE SYSTEM (1)" : "";
          const r = await c.query({ text: `SELECT ${cols} FROM ${qualifiedName(t.schema, t.name)}${sampled} LIMIT ${sampleRows}`, rowMode: "array" });
          rows = r.rows as string[][];
        }
        for (const col of open) {
          const i = textual.indexOf(col);
          const sample = i >= 0 ? rows.map((r) => r[i]).filter((v): v is string => typeof v === "string" && v.length > 0) : [];
          const { kinds, reasons } = detectPii(col, sample);
          if (kinds.length) found.push({ database: db.name, schema: t.schema, table: t.name, column: col.name, type: col.type, kinds, reasons });
        }
      }
    });
  }
  return found;
}
