// The SQL that masks one table in one statement: each mapped column joins its own temp mapping
// table (hash joins, no per-row round trips); SQL-only rules are expressions in the same SET.
import { qualifiedName, quoteIdent } from "../sql.js";
import type { ResolvedRule } from "../../../masking/policy/types.js";
import { valueTransformers } from "../../../masking/transformers/value-transformers.js";

export const MAP_COLUMNS = "dbclone_isnull boolean NOT NULL, dbclone_old text NOT NULL, dbclone_new text";

export interface MappedColumn {
  rule: ResolvedRule;
  /** The table holding this column's old → new text (in `mapSchema` when given, else a temp table). */
  mapTable: string;
  mapSchema?: string;
}

export interface TableStatement {
  text: string;
  values: unknown[];
}

/** The SET expression of one mapped column, given its mapping table alias. */
function applyExpression(rule: ResolvedRule, alias: string): string {
  const col = `t.${quoteIdent(rule.column)}`;
  const mode = valueTransformers[rule.transformer as keyof typeof valueTransformers].apply;
  if (mode === "shift-days") return `(${col} + ${alias}.dbclone_new::int * interval '1 day')::${rule.type}`;
  if (mode === "scale") return `(${col} * ${alias}.dbclone_new::numeric)::${rule.type}`;
  return `${alias}.dbclone_new::${rule.type}`;
}

function sqlRuleExpression(rule: ResolvedRule, values: unknown[]): string {
  const col = `t.${quoteIdent(rule.column)}`;
  switch (rule.transformer) {
    case "null":
      return "NULL";
    case "constant": {
      values.push(rule.value === null || rule.value === undefined ? null : String(rule.value));
      const v = `$${values.length}::text::${rule.type}`;
      return rule.fillNulls ? v : `CASE WHEN ${col} IS NULL THEN NULL ELSE ${v} END`;
    }
    case "sql": {
      const e = typeof rule.expression === "string" ? rule.expression : rule.expression?.postgres;
      if (!e) throw new Error(`${rule.table}.${rule.column}: the sql rule has no postgres expression`);
      return `(${e})::${rule.type}`;
    }
    default:
      throw new Error(`transformer ${rule.transformer} is not a per-row SQL rule`);
  }
}

/** UPDATE … SET every masked column … FROM the mapping tables, in one pass over the table. */
export function tableUpdate(
  schema: string,
  table: string,
  mapped: MappedColumn[],
  sqlRules: ResolvedRule[],
  where?: string,
  /** Only the rows of this extra condition on `t` (a slice's block range). */
  slice?: string,
): TableStatement {
  const values: unknown[] = [];
  const sets: string[] = [];
  const from: string[] = [];
  const joins: string[] = [];
  mapped.forEach((m, i) => {
    const alias = `m${i}`;
    const col = `t.${quoteIdent(m.rule.column)}`;
    sets.push(`${quoteIdent(m.rule.column)} = ${applyExpression(m.rule, alias)}`);
    from.push(`${m.mapSchema ? qualifiedName(m.mapSchema, m.mapTable) : quoteIdent(m.mapTable)} ${alias}`);
    // NULL joins its own mapping row (isnull = true), so every row finds exactly one partner.
    joins.push(`${alias}.dbclone_isnull = (${col} IS NULL) AND ${alias}.dbclone_old = coalesce(${col}::text, '')`);
  });
  for (const r of sqlRules) sets.push(`${quoteIdent(r.column)} = ${sqlRuleExpression(r, values)}`);
  if (where) joins.push(`(${where})`);
  if (slice) joins.push(slice);
  const text =
    `UPDATE ${qualifiedName(schema, table)} AS t SET ${sets.join(", ")}` +
    (from.length ? ` FROM ${from.join(", ")}` : "") +
    (joins.length ? ` WHERE ${joins.join(" AND ")}` : "");
  return { text, values };
}

/** Shuffle a column's values among its rows: a keyed permutation, set-based. */
export function shuffleUpdate(schema: string, table: string, column: string, salt: string, where?: string): TableStatement {
  const t = qualifiedName(schema, table);
  const c = quoteIdent(column);
  const filter = `${c} IS NOT NULL${where ? ` AND (${where})` : ""}`;
  return {
    text:
      `WITH src AS (SELECT ctid AS tid, row_number() OVER (ORDER BY md5(ctid::text || $1)) AS rn FROM ${t} WHERE ${filter}), ` +
      `vals AS (SELECT ${c} AS v, row_number() OVER (ORDER BY md5(${c}::text || $1)) AS rn FROM ${t} WHERE ${filter}) ` +
      `UPDATE ${t} AS t SET ${c} = vals.v FROM src JOIN vals USING (rn) WHERE t.ctid = src.tid`,
    values: [salt],
  };
}
