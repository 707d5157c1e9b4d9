// Mask a PostgreSQL server's databases by a resolved policy, set-based:
//   per masked column: SELECT DISTINCT values → map them in Node (per family, across all
//   databases) → load old→new into a temp table → one UPDATE … FROM per table.
// Foreign-key triggers are off for the session (session_replication_role = replica, admin only),
// because parent and child key columns are updated one after the other; both get the same mapping.
import crypto from "node:crypto";
import type pg from "pg";
import { BuildError, DbcloneError } from "../../../errors.js";
import type { Reporter } from "../../../reporter.js";
import { qualifiedName, quoteIdent } from "../sql.js";
import { appliedRules, emptyOriginals, leakOriginals, mapFamilies, type MaskingRun } from "../../../masking/plan.js";
import type { ResolvedPolicy, TableRef } from "../../../masking/policy/resolve-policy.js";
import { VALUE_TRANSFORMERS, type ResolvedRule } from "../../../masking/policy/types.js";
import type { WithDatabase } from "./connector.js";
import { MAP_COLUMNS, shuffleUpdate, tableUpdate, type MappedColumn } from "./table-update.js";

export interface MaskingRunOptions {
  withDb: WithDatabase;
  policy: ResolvedPolicy;
  key: Buffer;
  reporter: Reporter;
  /** Show this table's first row before and after (by primary key), e.g. for the demo. */
  preview?: TableRef;
}

export type { AppliedRule, MaskingRun } from "../../../masking/plan.js";

const TEXT_TYPES = /^(text|character varying|character|citext|name)/;
const CHUNK = 50_000;
const isValueRule = (r: ResolvedRule) => (VALUE_TRANSFORMERS as readonly string[]).includes(r.transformer);
const tableKey = (r: { database: string; schema: string; table: string }) => `${r.database}\u0000${r.schema}\u0000${r.table}`;

export async function applyMasking(opts: MaskingRunOptions): Promise<MaskingRun> {
  const started = performance.now();
  const { withDb, policy, key, reporter } = opts;
  const valueRules = policy.rules.filter(isValueRule);
  const run: MaskingRun = { rules: [], rowsChanged: 0, truncated: [], excluded: [], originals: emptyOriginals(), seconds: 0 };
  checkFamilies(valueRules);

  if (opts.preview) run.preview = { table: `${opts.preview.schema}.${opts.preview.table}`, before: await previewRow(withDb, opts.preview) };

  // 1. Distinct values of every mapped column (rows matching the table's `where` only).
  const distinct = new Map<ResolvedRule, Set<string>>();
  const rows = new Map<ResolvedRule, number>(); // non-null rows: with distinct, the column's cardinality
  const progress = reporter.progress("Masking: reading distinct values", valueRules.length);
  for (const r of valueRules) {
    const result = await withDb(r.database, (c) =>
      c.query({
        text: `SELECT ${quoteIdent(r.column)}::text, count(*)::float8 FROM ${qualifiedName(r.schema, r.table)} WHERE ${quoteIdent(r.column)} IS NOT NULL${r.where ? ` AND (${r.where})` : ""} GROUP BY 1`,
        rowMode: "array",
      }),
    ).catch((e: Error) => {
      throw new BuildError(`masking ${r.database}.${r.schema}.${r.table}.${r.column}: ${e.message}${r.where ? ` (check the table's where: ${r.where})` : ""}`);
    });
    const grouped = result.rows as [string, number][];
    distinct.set(r, new Set(grouped.map((row) => row[0])));
    rows.set(r, grouped.reduce((n, row) => n + row[1], 0));
    progress.update(distinct.size);
  }
  progress.finish();

  // 2-3. One mapping per family over all its inputs in all databases, and every original for the leak scan (plan.ts).
  const familyMaps = mapFamilies(key, valueRules, distinct);
  run.originals = leakOriginals(valueRules, distinct, TEXT_TYPES, rows);

  // 4. Per database: drop, truncate, then one UPDATE per table; shuffles; refresh views.
  for (const database of new Set([...policy.rules.map((r) => r.database), ...policy.truncate.map((t) => t.database), ...policy.exclude.map((t) => t.database)])) {
    await withDb(database, async (c) => {
      await c.query("SET session_replication_role = replica");
      await c.query("SET work_mem = '256MB'");
      const excluded = policy.exclude.filter((t) => t.database === database);
      if (excluded.length) {
        await c.query(`DROP TABLE ${excluded.map((t) => qualifiedName(t.schema, t.table)).join(", ")} CASCADE`);
        run.excluded.push(...excluded.map((t) => `${database}.${t.schema}.${t.table}`));
      }
      const truncated = policy.truncate.filter((t) => t.database === database);
      if (truncated.length) {
        await c.query(`TRUNCATE ${truncated.map((t) => qualifiedName(t.schema, t.table)).join(", ")}`).catch((e: Error) => {
          throw new BuildError(`truncating ${truncated.map((t) => t.table).join(", ")} in ${database}: ${e.message}; list the referencing tables under truncate too`);
        });
        run.truncated.push(...truncated.map((t) => `${database}.${t.schema}.${t.table}`));
      }
      const tables = new Map<string, ResolvedRule[]>();
      for (const r of policy.rules.filter((x) => x.database === database)) tables.set(tableKey(r), [...(tables.get(tableKey(r)) ?? []), r]);
      for (const rules of tables.values()) run.rowsChanged += await maskTable(c, rules, distinct, familyMaps, key, reporter);
      for (const mv of (await c.query<{ n: string }>("SELECT format('%I.%I', schemaname, matviewname) AS n FROM pg_matviews WHERE ispopulated")).rows) {
        await c.query(`REFRESH MATERIALIZED VIEW ${mv.n}`); // a view's stored rows would keep the originals
      }
    });
  }

  if (run.preview) {
    const p = opts.preview!;
    run.preview.after = await previewRow(withDb, p, run.preview.before);
  }
  run.rules = appliedRules(policy.rules, distinct);
  run.seconds = (performance.now() - started) / 1000;
  return run;
}

async function maskTable(c: pg.Client, rules: ResolvedRule[], distinct: Map<ResolvedRule, Set<string>>, familyMaps: Map<string, Map<string, string>>, key: Buffer, reporter: Reporter): Promise<number> {
  const { database, schema, table, where } = rules[0]!;
  const label = `${database}.${schema}.${table}`;
  const mapped: MappedColumn[] = [];
  try {
    for (const [i, r] of rules.filter(isValueRule).entries()) {
      const mapTable = `dbclone_map_${i}`;
      await c.query(`CREATE TEMP TABLE ${quoteIdent(mapTable)} (${MAP_COLUMNS})`);
      const family = familyMaps.get(r.family)!;
      const olds = [...distinct.get(r)!];
      for (let at = 0; at < olds.length; at += CHUNK) {
        const part = olds.slice(at, at + CHUNK);
        await c.query(`INSERT INTO ${quoteIdent(mapTable)} SELECT false, o, n FROM unnest($1::text[], $2::text[]) AS u(o, n)`, [part, part.map((o) => family.get(o)!)]);
      }
      await c.query(`INSERT INTO ${quoteIdent(mapTable)} VALUES (true, '', NULL)`);
      await c.query(`ANALYZE ${quoteIdent(mapTable)}`);
      mapped.push({ rule: r, mapTable });
    }
    const sqlRules = rules.filter((r) => !isValueRule(r) && r.transformer !== "shuffle");
    let changed = 0;
    if (mapped.length || sqlRules.length) {
      const statement = tableUpdate(schema, table, mapped, sqlRules, where);
      reporter.debug(`masking ${label}: ${statement.text}`);
      changed = (await c.query(statement.text, statement.values)).rowCount ?? 0;
    }
    for (const r of rules.filter((x) => x.transformer === "shuffle")) {
      const salt = crypto.createHmac("sha256", key).update(`dbclone/shuffle/v1\u0000${label}.${r.column}`).digest("hex");
      const s = shuffleUpdate(schema, table, r.column, salt, where);
      changed = Math.max(changed, (await c.query(s.text, s.values)).rowCount ?? 0);
    }
    reporter.info(`Masked ${label}: ${rules.map((r) => `${r.column} (${r.transformer})`).join(", ")} — ${changed} rows`);
    return changed;
  } catch (e) {
    if (e instanceof DbcloneError) throw e;
    throw new BuildError(`masking ${label} failed: ${(e as Error).message}${where ? ` (the table's where is: ${where})` : ""}`, { cause: e });
  } finally {
    for (const m of mapped) await c.query(`DROP TABLE IF EXISTS ${quoteIdent(m.mapTable)}`).catch(() => undefined);
  }
}

/** A family is one mapping: every column in it must use the same transformer and options. */
function checkFamilies(rules: ResolvedRule[]): void {
  const first = new Map<string, ResolvedRule>();
  for (const r of rules) {
    const f = first.get(r.family);
    if (!f) first.set(r.family, r);
    else if (f.transformer !== r.transformer) {
      throw new BuildError(`masking family '${r.family}' is used by ${f.table}.${f.column} (${f.transformer}) and ${r.table}.${r.column} (${r.transformer}); a family needs one transformer`);
    }
  }
}

async function previewRow(withDb: WithDatabase, t: TableRef, before?: Record<string, string | null>): Promise<Record<string, string | null>> {
  return withDb(t.database, async (c) => {
    const pk = await c.query<{ a: string }>(
      `SELECT a.attname AS a FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY a.attnum`,
      [qualifiedName(t.schema, t.table)],
    );
    const keys = pk.rows.map((r) => r.a);
    if (keys.length === 0) return {};
    const order = keys.map(quoteIdent).join(", ");
    const filter = before ? ` WHERE ${keys.map((k, i) => `${quoteIdent(k)}::text = $${i + 1}`).join(" AND ")}` : "";
    const r = await c.query(`SELECT * FROM ${qualifiedName(t.schema, t.table)}${filter} ORDER BY ${order} LIMIT 1`, before ? keys.map((k) => before[k]) : []);
    const row = (r.rows[0] ?? {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? null : v instanceof Date ? v.toISOString() : String(v)]));
  });
}
