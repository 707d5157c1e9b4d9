// Mask a SQL Server's restored databases by a resolved policy, set-based, with the same keyed
// mapping as PostgreSQL: distinct inputs are read, each family is mapped once in Node (mapFamily,
// the very code PostgreSQL uses, so faker output is identical), the pairs are loaded into #temp
// tables as parameters, and one UPDATE … LEFT JOIN #map per table rewrites the columns.
import { BuildError, DbcloneError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { appliedRules, checkFamilies, emptyOriginals, isValueRule, leakOriginals, mapFamilies, tableKey } from "../../masking/plan.js";
import type { ResolvedPolicy } from "../../masking/policy/resolve-policy.js";
import type { ResolvedRule } from "../../masking/policy/types.js";
import type { MaskingRun } from "../../masking/plan.js";
import type { SqlExecutor } from "./executor.js";
import {
  createMapIndexSql,
  createMapTableSql,
  disableForeignKeysSql,
  distinctValuesSql,
  dropMapTableSql,
  dropTableSql,
  emptyTableSql,
  enableForeignKeysSql,
  insertMapStatements,
  tableUpdateStatement,
} from "./masking-sql.js";
import { enabledTriggersSql, setTriggersSql, versioningOffSql, versioningOnSql } from "./masking-guards-sql.js";

export interface SqlServerMaskingOptions {
  exec: SqlExecutor;
  policy: ResolvedPolicy;
  key: Buffer;
  reporter: Reporter;
  probeTarget?: number;
}

const TEXT_TYPES = /^(n?varchar|n?char|n?text|sysname)/i;

/**
 * Triggers off and system-versioning off for one table before it is masked or emptied; the returned
 * function puts both back (history emptied first: it holds the production values).
 */
async function guardTable(exec: SqlExecutor, db: string, schema: string, table: string): Promise<() => Promise<void>> {
  const label = `${db}.${schema}.${table}`;
  const triggers = ((await run(exec, `reading the triggers of ${label}`, enabledTriggersSql(db, schema, table)))[0] ?? []).map((r) => String(r.name));
  if (triggers.length) await run(exec, `disabling the triggers of ${label}`, setTriggersSql(db, schema, table, triggers, false));
  const h = (await run(exec, `turning system-versioning off on ${label}`, versioningOffSql(db, schema, table)))[0]?.[0];
  const history = h?.historyTable ? { schema: String(h.historySchema), table: String(h.historyTable) } : undefined;
  return async () => {
    if (history) await run(exec, `emptying the history of ${label} and turning system-versioning on`, versioningOnSql(db, schema, table, history));
    if (triggers.length) await run(exec, `re-enabling the triggers of ${label}`, setTriggersSql(db, schema, table, triggers, true));
  };
}

/** Every statement runs through here so a failure names the table and the `where` to check. */
async function run(exec: SqlExecutor, label: string, sql: string, params: Record<string, string | number | boolean | null> = {}, where?: string) {
  try {
    return await exec.execute(sql, params);
  } catch (e) {
    if (e instanceof DbcloneError) throw e;
    throw new BuildError(`masking ${label} failed: ${(e as Error).message}${where ? ` (the table's where is: ${where})` : ""}`, { cause: e });
  }
}

export async function maskSqlServer(opts: SqlServerMaskingOptions): Promise<MaskingRun> {
  const started = performance.now();
  const { exec, policy, key, reporter } = opts;
  const valueRules = policy.rules.filter(isValueRule);
  const masking: MaskingRun = { rules: [], rowsChanged: 0, truncated: [], excluded: [], originals: emptyOriginals(), seconds: 0 };
  checkFamilies(valueRules);

  // Shuffle and rules without a T-SQL expression fail here, before any table is touched.
  const byTable = new Map<string, ResolvedRule[]>();
  for (const r of policy.rules) byTable.set(tableKey(r), [...(byTable.get(tableKey(r)) ?? []), r]);
  for (const rules of byTable.values()) {
    const sqlRules = rules.filter((r) => !isValueRule(r));
    if (sqlRules.length) tableUpdateStatement([], sqlRules);
  }

  // 1. Distinct inputs of every mapped column (rows matching the table's `where` only).
  const distinct = new Map<ResolvedRule, Set<string>>();
  for (const r of valueRules) {
    const rows = (await run(exec, `${r.database}.${r.schema}.${r.table}.${r.column}`, distinctValuesSql(r), {}, r.where))[0] ?? [];
    distinct.set(r, new Set(rows.map((row) => String(row.v))));
  }

  // 2-3. One mapping per family over all its inputs in all databases, and the leak-scan probes (plan.ts).
  const familyMaps = mapFamilies(key, valueRules, distinct);
  masking.originals = leakOriginals(valueRules, distinct, TEXT_TYPES, undefined, familyMaps);

  // 4. Per database: drop excluded, foreign keys off, empty truncated, one UPDATE per table, keys back on WITH CHECK.
  const databases = new Set([...policy.rules.map((r) => r.database), ...policy.truncate.map((t) => t.database), ...policy.exclude.map((t) => t.database)]);
  let mapIndex = 0;
  for (const db of databases) {
    for (const t of policy.exclude.filter((x) => x.database === db)) {
      const s = dropTableSql(db, t.schema, t.table);
      await run(exec, `dropping ${db}.${t.schema}.${t.table}`, s.sql, s.params);
      masking.excluded.push(`${db}.${t.schema}.${t.table}`);
    }
    await run(exec, `disabling foreign keys in ${db}`, disableForeignKeysSql(db));
    const guarded = new Map<string, () => Promise<void>>();
    const guard = async (t: { schema: string; table: string }): Promise<void> => {
      const k = tableKey({ database: db, ...t });
      if (!guarded.has(k)) guarded.set(k, await guardTable(exec, db, t.schema, t.table));
    };
    for (const t of policy.truncate.filter((x) => x.database === db)) await guard(t);
    for (const [k, rules] of byTable) if (k.startsWith(`${db}\u0000`)) await guard(rules[0]!);
    for (const t of policy.truncate.filter((x) => x.database === db)) {
      await run(exec, `emptying ${db}.${t.schema}.${t.table}`, emptyTableSql(db, t.schema, t.table));
      masking.truncated.push(`${db}.${t.schema}.${t.table}`);
    }
    for (const [k, rules] of byTable) {
      if (!k.startsWith(`${db}\u0000`)) continue;
      const label = `${db}.${rules[0]!.schema}.${rules[0]!.table}`;
      const mapped: { rule: ResolvedRule; mapIndex: number }[] = [];
      try {
        for (const rule of rules.filter(isValueRule)) {
          const i = mapIndex++;
          const family = familyMaps.get(rule.family)!;
          await run(exec, label, createMapTableSql(i));
          mapped.push({ rule, mapIndex: i });
          const pairs = [...distinct.get(rule)!].map((o): [string, string] => [o, family.get(o)!]);
          for (const s of insertMapStatements(i, pairs)) await run(exec, label, s.sql, s.params);
          await run(exec, label, createMapIndexSql(i));
        }
        const update = tableUpdateStatement(
          mapped,
          rules.filter((r) => !isValueRule(r)),
        );
        reporter.debug(`masking ${label}: ${update.sql}`);
        const sets = await run(exec, label, `${update.sql}\nSELECT @@ROWCOUNT AS n;`, update.params, rules[0]!.where);
        const changed = Number(sets.at(-1)?.[0]?.n ?? 0);
        masking.rowsChanged += changed;
        reporter.info(`Masked ${label}: ${rules.map((r) => `${r.column} (${r.transformer})`).join(", ")} — ${changed} rows`);
      } finally {
        for (const m of mapped) await exec.execute(dropMapTableSql(m.mapIndex)).catch(() => undefined);
      }
    }
    for (const release of guarded.values()) await release();
    await run(
      exec,
      `re-enabling foreign keys in ${db} (a child table emptied or masked apart from its parent fails here; truncate or mask both)`,
      enableForeignKeysSql(db),
    );
  }

  masking.rules = appliedRules(policy.rules, distinct);
  masking.seconds = (performance.now() - started) / 1000;
  return masking;
}
