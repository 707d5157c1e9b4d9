// Resolve a policy (and variant) against the databases really restored: every rule names an
// existing database, table and column, defaults by column-name pattern are applied, foreign keys
// inherit their parent's rule, and each rule gets its family. Errors point into the policy file.
import type { DatabaseInfo } from "../../image/inventory.js";
import { defaultFamily } from "../transformers/family-mapping.js";
import { valueTransformers } from "../transformers/value-transformers.js";
import { policyErrorAt } from "./policy-error.js";
import { isValueRule } from "../plan.js";
import type { DatabasePolicy, DefaultRule, MaskingPolicy, ResolvedRule } from "./types.js";

export interface ColumnRef {
  database: string;
  schema: string;
  table: string;
  column: string;
}

/** What the engine knows about the restored data beyond the inventory. */
export interface SchemaFacts {
  databases: DatabaseInfo[];
  /** Columns with a single-column unique index or primary key. */
  uniqueColumns: ColumnRef[];
  /** Single-column foreign keys: `from` references `to`. */
  foreignKeys: { from: ColumnRef; to: ColumnRef }[];
  /** Tables that cannot be updated (views, materialized views): never masked by default. */
  readOnlyTables?: { database: string; schema: string; table: string }[];
  /** Schema of an unqualified table name ("public"; "dbo" on SQL Server). */
  defaultSchema: string;
}

export interface TableRef {
  database: string;
  schema: string;
  table: string;
}

export interface ResolvedPolicy {
  variant?: string;
  rules: ResolvedRule[];
  truncate: TableRef[];
  exclude: TableRef[];
  onUnmaskedPii: "warn" | "fail";
  leakScan: MaskingPolicy["leakScan"];
  /** Unmasked columns the policy declares not personal, with the reason. */
  notPersonal: (ColumnRef & { reason: string })[];
  access?: { users: string[]; teams: string[] };
}

const refKey = (r: ColumnRef) => [r.database, r.schema, r.table, r.column].join("\u0000");

export function resolvePolicy(policy: MaskingPolicy, variant: string | undefined, facts: SchemaFacts): ResolvedPolicy {
  const origin = policy.origin;
  const layers: { prefix: (string | number)[]; databases: Record<string, DatabasePolicy>; defaults: DefaultRule[] }[] = [
    { prefix: [], databases: policy.databases, defaults: policy.defaults },
  ];
  let locale = policy.locale;
  let access: ResolvedPolicy["access"];
  if (variant !== undefined) {
    const v = policy.variants[variant];
    if (!v) throw policyErrorAt(origin, ["variants"], `no variant '${variant}' in the policy; it has: ${Object.keys(policy.variants).join(", ") || "none"}`);
    layers.push({ prefix: ["variants", variant], databases: v.databases, defaults: v.defaults });
    locale = v.locale ?? locale;
    access = v.access;
  }

  const byKey = new Map<string, ResolvedRule>();
  const truncate: TableRef[] = [];
  const exclude: TableRef[] = [];
  const positionOf = new Map<string, (string | number)[]>();
  const notPersonal: ResolvedPolicy["notPersonal"] = [];
  for (const layer of layers) {
    for (const [dbName, db] of Object.entries(layer.databases)) {
      const at = [...layer.prefix, "databases", dbName];
      const info = facts.databases.find((d) => d.name === dbName);
      if (!info) throw policyErrorAt(origin, at, `database '${dbName}' is not in the image; it has: ${facts.databases.map((d) => d.name).join(", ")}`);
      const findTable = (written: string, path: (string | number)[]) => {
        const dot = written.indexOf(".");
        const [schema, table] = dot > 0 ? [written.slice(0, dot), written.slice(dot + 1)] : [facts.defaultSchema, written];
        const t = info.tables.find((x) => x.schema === schema && x.name === table);
        if (!t) throw policyErrorAt(origin, path, `table '${schema}.${table}' does not exist in database '${dbName}'`);
        return t;
      };
      for (const [kind, list, out] of [
        ["truncate", db.truncate, truncate],
        ["exclude", db.exclude, exclude],
      ] as const) {
        list.forEach((written, i) => {
          const t = findTable(written, [...at, kind, i]);
          out.push({ database: dbName, schema: t.schema, table: t.name });
        });
      }
      for (const [written, tablePolicy] of Object.entries(db.tables)) {
        const t = findTable(written, [...at, "tables", written]);
        for (const [column, reason] of Object.entries(tablePolicy.notPersonal ?? {})) {
          const path = [...at, "tables", written, "notPersonal", column];
          if (!t.columns.some((c) => c.name === column))
            throw policyErrorAt(origin, path, `column '${column}' does not exist in ${t.schema}.${t.name} (database '${dbName}')`);
          if (tablePolicy.columns[column])
            throw policyErrorAt(origin, path, `column '${column}' is masked by this policy; notPersonal is for unmasked columns`);
          notPersonal.push({ database: dbName, schema: t.schema, table: t.name, column, reason });
        }
        for (const [column, rule] of Object.entries(tablePolicy.columns)) {
          const path = [...at, "tables", written, "columns", column];
          const col = t.columns.find((c) => c.name === column);
          if (!col)
            throw policyErrorAt(
              origin,
              path,
              `column '${column}' does not exist in ${t.schema}.${t.name} (database '${dbName}'); it has: ${t.columns.map((c) => c.name).join(", ")}`,
            );
          if (rule.transformer === "sql" && typeof rule.expression === "object" && !rule.expression.postgres && !rule.expression.sqlserver) {
            throw policyErrorAt(origin, path, "an sql rule needs an expression");
          }
          const ref = { database: dbName, schema: t.schema, table: t.name, column };
          positionOf.set(refKey(ref), path);
          byKey.set(
            refKey(ref),
            finish({ ...rule, ...ref, type: col.type, ...(tablePolicy.where ? { where: tablePolicy.where } : {}), origin: "policy", policyPath: path }, locale),
          );
        }
      }
    }
  }

  // Defaults: the variant's first, then the policy's; the first pattern that matches wins.
  const defaults = layers.flatMap((l) =>
    l.defaults.map((d, i) => ({ rule: d, path: [...l.prefix, "defaults", i], re: compile(d, [...l.prefix, "defaults", i]) })),
  );
  const ordered = [...defaults.filter((d) => d.path[0] === "variants"), ...defaults.filter((d) => d.path[0] !== "variants")];
  const skipped = new Set([...exclude, ...truncate, ...(facts.readOnlyTables ?? [])].map((t) => `${t.database}\u0000${t.schema}\u0000${t.table}`));
  for (const db of facts.databases) {
    for (const t of db.tables) {
      if (skipped.has(`${db.name}\u0000${t.schema}\u0000${t.name}`)) continue;
      for (const col of t.columns) {
        const ref = { database: db.name, schema: t.schema, table: t.name, column: col.name };
        if (byKey.has(refKey(ref))) continue;
        const match = ordered.find((d) => d.re.test(col.name));
        if (!match) continue;
        const { column: _pattern, ...rule } = match.rule;
        byKey.set(refKey(ref), finish({ ...rule, ...ref, type: col.type, origin: "default", policyPath: match.path }, locale));
      }
    }
  }

  inheritThroughForeignKeys(byKey, facts, positionOf, policy);
  const unique = new Set(facts.uniqueColumns.map(refKey));
  // Rows of truncated or excluded tables are gone anyway: nothing to mask there.
  const rules = [...byKey.values()].filter((r) => !isSkippedTable(r, exclude, truncate));
  // A family is unique when any of its columns is: one mapping serves them all.
  const uniqueFamilies = new Set(rules.filter((r) => isValueRule(r) && (r.unique ?? unique.has(refKey(r)))).map((r) => r.family));
  for (const r of rules) {
    if (isValueRule(r) && valueTransformers[r.transformer as keyof typeof valueTransformers].apply === "replace") r.unique = uniqueFamilies.has(r.family);
    else r.unique = false;
  }
  return {
    ...(variant ? { variant } : {}),
    rules,
    truncate,
    exclude,
    onUnmaskedPii: policy.onUnmaskedPii,
    leakScan: policy.leakScan,
    notPersonal,
    ...(access ? { access } : {}),
  };
}

function isSkippedTable(r: ResolvedRule, ...lists: TableRef[][]): boolean {
  return lists.some((l) => l.some((t) => t.database === r.database && t.schema === r.schema && t.table === r.table));
}

function finish(rule: Omit<ResolvedRule, "family"> & { family?: string }, locale: string): ResolvedRule {
  const withLocale = { ...rule, locale: rule.locale ?? locale } as ResolvedRule;
  return { ...withLocale, family: rule.family ?? defaultFamily(withLocale) };
}

function compile(d: DefaultRule, path: (string | number)[]): RegExp {
  try {
    return new RegExp(d.column, "i");
  } catch (e) {
    throw policyErrorAt(undefined, path, `'${d.column}' is not a valid regular expression (${(e as Error).message})`);
  }
}

/** A foreign key column must be masked exactly like the key it references, or joins break. */
function inheritThroughForeignKeys(
  byKey: Map<string, ResolvedRule>,
  facts: SchemaFacts,
  positionOf: Map<string, (string | number)[]>,
  policy: MaskingPolicy,
): void {
  // Repeat so chains (a → b → c) settle.
  for (let changed = true, rounds = 0; changed && rounds < 10; rounds++) {
    changed = false;
    for (const fk of facts.foreignKeys) {
      const parent = byKey.get(refKey(fk.to));
      const child = byKey.get(refKey(fk.from));
      const where = `${fk.from.table}.${fk.from.column} references ${fk.to.table}.${fk.to.column}`;
      if (parent && isValueRule(parent)) {
        if (!child) {
          const type =
            facts.databases
              .find((d) => d.name === fk.from.database)
              ?.tables.find((t) => t.schema === fk.from.schema && t.name === fk.from.table)
              ?.columns.find((c) => c.name === fk.from.column)?.type ?? parent.type;
          const { where: _w, origin: _o, ...rule } = parent;
          byKey.set(refKey(fk.from), { ...rule, ...fk.from, type, origin: "foreign-key" });
          changed = true;
        } else if (child.family !== parent.family || child.transformer !== parent.transformer) {
          throw policyErrorAt(
            policy.origin,
            positionOf.get(refKey(fk.from)) ?? [],
            `${where}, which is masked as family '${parent.family}': mask it the same way (same transformer and family) or leave it out to inherit`,
          );
        }
      } else if (child && isValueRule(child) && !parent) {
        throw policyErrorAt(
          policy.origin,
          positionOf.get(refKey(fk.from)) ?? [],
          `${where}, which is not masked: mask ${fk.to.table}.${fk.to.column} with the same rule, or the foreign key breaks`,
        );
      }
    }
  }
}
