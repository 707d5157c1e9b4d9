// Check a resolved policy against the restored schema before anything is masked, so a rule that
// cannot work fails as a PolicyError at file:line:column instead of a bare SQL error half-way:
// a transformer whose output the column's type cannot hold (dateShift/noise on text, hash/email on
// integers, …), and SQL the engine cannot plan (a `sql` expression, a `where`, a `constant`).
import { valueTransformers } from "../transformers/value-transformers.js";
import { policyErrorAt } from "./policy-error.js";
import type { ResolvedPolicy } from "./resolve-policy.js";
import type { MaskingPolicy, ResolvedRule } from "./types.js";

type TypeClass = "text" | "number" | "time" | "other" | "unknown";

// Both engines' spellings (PostgreSQL format_type, SQL Server sys.types). Anything else (domains,
// enums, user types) is "unknown" and left to the SQL check: no false alarms.
const TYPE_CLASSES: [TypeClass, RegExp][] = [
  ["text", /^(text|character varying|character|varchar|char|bpchar|citext|name|nvarchar|nchar|ntext|sysname)\b/i],
  ["number", /^(smallint|integer|int|bigint|tinyint|numeric|decimal|real|double precision|float|money|smallmoney)\b/i],
  ["time", /^(date|timestamp|time|datetime|datetime2|smalldatetime|datetimeoffset)\b/i],
  ["other", /^(boolean|bit|uuid|uniqueidentifier|json|jsonb|xml|bytea|varbinary|binary|image|inet|cidr|macaddr|interval|point|tsvector)\b/i],
];

export function typeClass(type: string): TypeClass {
  if (/\[\]$/.test(type.trim())) return "other"; // arrays, whatever their element type
  return TYPE_CLASSES.find(([, re]) => re.test(type.trim()))?.[0] ?? "unknown";
}

/** Transformers whose output is all digits, so numeric columns can hold it. */
const digitsOnly = (r: ResolvedRule): boolean => r.transformer === "creditCard" || (r.transformer === "nationalId" && r.format === "digits");

/** What the transformer needs of the column, or undefined when any type will do. */
function needs(rule: ResolvedRule): { classes: TypeClass[]; advice: string } | undefined {
  if (!(rule.transformer in valueTransformers)) return undefined;
  const apply = valueTransformers[rule.transformer as keyof typeof valueTransformers].apply;
  if (apply === "shift-days") return { classes: ["time"], advice: "dateShift works on date and timestamp columns" };
  if (apply === "scale") return { classes: ["number"], advice: "noise works on numeric columns" };
  if (digitsOnly(rule)) return { classes: ["text", "number"], advice: `${rule.transformer} writes digits, for text or numeric columns` };
  return { classes: ["text"], advice: `${rule.transformer} writes text; for a ${rule.type} column use noise, constant, null or sql` };
}

/** The transformer of every rule can produce its column's type. */
export function checkTransformerTypes(resolved: ResolvedPolicy, policy: MaskingPolicy): void {
  for (const rule of resolved.rules) {
    const need = needs(rule);
    const cls = typeClass(rule.type);
    if (!need || cls === "unknown" || need.classes.includes(cls)) continue;
    const where = rule.origin === "foreign-key" ? ` (inherited by the foreign key ${rule.table}.${rule.column})` : "";
    throw policyErrorAt(
      policy.origin,
      rule.policyPath ?? [],
      `transformer '${rule.transformer}' cannot produce ${rule.schema}.${rule.table}.${rule.column} (${rule.type})${where}: ${need.advice}`,
    );
  }
}

/** One piece of policy SQL to plan against the restored schema, and where it was written. */
export interface PolicySqlCheck {
  rule: ResolvedRule;
  /** The policy path of the SQL (the column's rule, or the table's `where`). */
  path: (string | number)[];
  kind: "expression" | "where" | "constant";
}

/**
 * Plan every `sql` expression, `constant` value and table `where` with `plan` (the engine's EXPLAIN
 * of a SELECT over the table); the engine's complaint becomes a PolicyError at the policy line.
 */
export async function checkPolicySql(
  resolved: ResolvedPolicy,
  policy: MaskingPolicy,
  plan: (check: PolicySqlCheck) => Promise<string | undefined>,
): Promise<void> {
  const seenWhere = new Set<string>();
  for (const rule of resolved.rules) {
    const checks: PolicySqlCheck[] = [];
    const path = rule.policyPath ?? [];
    if (rule.transformer === "sql") checks.push({ rule, path, kind: "expression" });
    if (rule.transformer === "constant") checks.push({ rule, path, kind: "constant" });
    const table = `${rule.database}\u0000${rule.schema}\u0000${rule.table}`;
    if (rule.where && rule.origin === "policy" && !seenWhere.has(table)) {
      seenWhere.add(table);
      // [..., "tables", written, "columns", column] → [..., "tables", written, "where"]
      checks.push({ rule, path: [...path.slice(0, -2), "where"], kind: "where" });
    }
    for (const check of checks) {
      const complaint = await plan(check);
      if (complaint === undefined) continue;
      const what =
        check.kind === "where"
          ? `the where of ${rule.schema}.${rule.table}`
          : `the ${check.kind} for ${rule.schema}.${rule.table}.${rule.column} (${rule.type})`;
      throw policyErrorAt(policy.origin, check.path, `${what} does not work on the restored schema: ${complaint}`);
    }
  }
}
