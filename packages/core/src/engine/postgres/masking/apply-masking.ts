// Mask a PostgreSQL server's databases by a resolved policy, set-based and streamed:
//   per family: distinct values through a server-side cursor → mapped chunk by chunk on every
//   core → COPY old→new into an unlogged mapping table → one UPDATE … FROM per table.
// Foreign-key triggers are off for the session (session_replication_role = replica, admin only),
// because parent and child key columns are updated one after the other; both get the same mapping.
import crypto from "node:crypto";
import type pg from "pg";
import { BuildError, DbcloneError } from "../../../errors.js";
import type { Reporter } from "../../../reporter.js";
import { qualifiedName, quoteIdent } from "../sql.js";
import { appliedRules, checkFamilies, emptyOriginals, isValueRule, tableKey, type MaskingRun } from "../../../masking/plan.js";
import { defaultJobs } from "../../../masking/transformers/mapping-pool.js";
import type { ResolvedPolicy, TableRef } from "../../../masking/policy/resolve-policy.js";
import type { ResolvedRule } from "../../../masking/policy/types.js";
import type { WithDatabase } from "./connector.js";
import { mapAllFamilies, type MappedFamilies } from "./map-families.js";
import { mapLimit } from "../../../util/map-limit.js";
import { shuffleUpdate, tableUpdate, type MappedColumn } from "./table-update.js";
import { planTableWork, runSlices, sliceCondition, type TableWork } from "./update-slices.js";
import { hashBudgetBytes, hashBytesPerJoin, hashMemorySettings } from "./hash-memory.js";

export interface MaskingRunOptions {
  withDb: WithDatabase;
  policy: ResolvedPolicy;
  key: Buffer;
  reporter: Reporter;
  /** Show this table's first row before and after (by primary key), e.g. for the demo. */
  preview?: TableRef;
  /** Mapping workers and tables/families handled at once (default: the cores available). */
  jobs?: number;
  /** Distinct values per cursor fetch (default 50 000); small in tests to cross chunk boundaries. */
  chunkSize?: number;
  /** Blocks from which a table's UPDATE is split over several sessions (default MIN_SLICE_BLOCKS); small in tests. */
  sliceBlocks?: number;
  /** Bytes of the leak scan's originals held in memory (OriginalsCollector); past it they are spilled. */
  originalsBudget?: number;
  /** Where a spill of originals goes (the build's work directory). */
  tempDir?: string;
}

export type { AppliedRule, MaskingRun } from "../../../masking/plan.js";

const TEXT_TYPES = /^(text|character varying|character|citext|name)/;
const CHUNK = 50_000;

export async function applyMasking(opts: MaskingRunOptions): Promise<MaskingRun> {
  const started = performance.now();
  const { withDb, policy, key, reporter } = opts;
  const valueRules = policy.rules.filter(isValueRule);
  const jobs = Math.max(1, opts.jobs ?? defaultJobs());
  const run: MaskingRun = { rules: [], rowsChanged: 0, truncated: [], excluded: [], originals: emptyOriginals(), seconds: 0, jobs };
  checkFamilies(valueRules);

  if (opts.preview) run.preview = { table: `${opts.preview.schema}.${opts.preview.table}`, before: await previewRow(withDb, opts.preview) };

  // The mapping tables live in a schema of this run, in every database with a masked column; they
  // hold originals, so they are unlogged (never in the WAL) and dropped before the disk is copied.
  const workSchema = `dbclone_masking_${crypto.randomBytes(4).toString("hex")}`;
  const mappedDatabases = [...new Set(valueRules.map((r) => r.database))];
  let mapped: MappedFamilies | undefined;
  try {
    for (const db of mappedDatabases) await withDb(db, (c) => c.query(`CREATE SCHEMA ${quoteIdent(workSchema)}`));
    // 1-3. Per family (all its columns in all databases): distinct values streamed, mapped on every core, loaded by COPY.
    const mapStart = performance.now();
    mapped = await mapAllFamilies({
      withDb,
      key,
      reporter,
      valueRules,
      textType: TEXT_TYPES,
      workSchema,
      jobs,
      chunkSize: opts.chunkSize ?? CHUNK,
      originalsBudget: opts.originalsBudget,
      tempDir: opts.tempDir,
    });
    run.mapSeconds = (performance.now() - mapStart) / 1000;
    run.distinctValues = mapped.distinctTotal;

    // 4. Per database: drop, truncate; then one UPDATE per table (up to `jobs` at once); shuffles; refresh views.
    const updateStart = performance.now();
    const databases = [
      ...new Set([...policy.rules.map((r) => r.database), ...policy.truncate.map((t) => t.database), ...policy.exclude.map((t) => t.database)]),
    ];
    for (const database of databases) await dropAndTruncate(withDb, policy, database, run);
    const tables = new Map<string, ResolvedRule[]>();
    for (const r of policy.rules) tables.set(tableKey(r), [...(tables.get(tableKey(r)) ?? []), r]);
    const progress = reporter.progress("Masking: updating tables", tables.size);
    let updated = 0;
    const m = mapped;
    const mapBytes = await mappingTableBytes(withDb, mappedDatabases, workSchema);
    const budget = hashBudgetBytes();
    // Each statement's hash joins sized to its mapping tables, within this run's share of memory (hash-memory.ts).
    const session =
      (w: TableWork, sessions: number) =>
      <T>(fn: (c: pg.Client) => Promise<T>) =>
        withDb(w.rules[0]!.database, async (c) => {
          const sizes = [...new Set(w.rules.filter(isValueRule).map((r) => m.mapTableOf.get(r)!))].map(
            (t) => mapBytes.get(`${w.rules[0]!.database}\u0000${t}`) ?? 0,
          );
          const perJoin = hashBytesPerJoin(sizes, sessions, budget);
          reporter.debug(
            `masking ${w.rules[0]!.database}.${w.rules[0]!.schema}.${w.rules[0]!.table}: ${Math.round(perJoin / 1048576)} MB of hash memory per mapping join`,
          );
          await c.query("SET session_replication_role = replica");
          await c.query(hashMemorySettings(perJoin));
          return fn(c);
        });
    // Large tables one after another, each split over every core (update-slices.ts); then the rest, up to `jobs` at once.
    const work = await planTableWork(withDb, [...tables.values()], jobs, opts.sliceBlocks);
    const changed: number[] = [];
    for (const w of work.filter((x) => x.slices)) {
      changed.push(await maskTable(session(w, w.slices!.length), w, m, workSchema, key, reporter));
      progress.update(++updated);
    }
    const rest = work.filter((x) => !x.slices);
    changed.push(
      ...(await mapLimit(rest, jobs, async (w) => {
        const n = await maskTable(session(w, Math.min(jobs, rest.length)), w, m, workSchema, key, reporter);
        progress.update(++updated);
        return n;
      })),
    );
    progress.finish();
    run.rowsChanged = changed.reduce((a, b) => a + b, 0);
    for (const database of databases) {
      await withDb(database, async (c) => {
        // Quoted here, not by the server's format(): a look-alike format(text, name, name) in the data would rename them.
        const views = await c.query<{ s: string; n: string }>("SELECT schemaname AS s, matviewname AS n FROM pg_catalog.pg_matviews WHERE ispopulated");
        for (const mv of views.rows) {
          await c.query(`REFRESH MATERIALIZED VIEW ${qualifiedName(mv.s, mv.n)}`); // a view's stored rows would keep the originals
        }
      });
    }
    run.updateSeconds = (performance.now() - updateStart) / 1000;
    run.originals = mapped.originals;
  } catch (e) {
    // A failed run publishes nothing: its spilled originals go now (a failed finish removed them itself).
    mapped?.originals.dispose();
    throw e;
  } finally {
    for (const db of mappedDatabases) await withDb(db, (c) => c.query(`DROP SCHEMA IF EXISTS ${quoteIdent(workSchema)} CASCADE`)).catch(() => undefined);
  }

  if (run.preview) {
    const p = opts.preview!;
    run.preview.after = await previewRow(withDb, p, run.preview.before);
  }
  run.rules = appliedRules(policy.rules, mapped.distinct);
  run.seconds = (performance.now() - started) / 1000;
  return run;
}

/** Bytes of every mapping table of the run, by database and name (`db \0 map_<n>`). */
async function mappingTableBytes(withDb: WithDatabase, databases: string[], workSchema: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const db of databases) {
    const r = await withDb(db, (c) =>
      c.query<{ name: string; bytes: string }>(
        `SELECT c.relname AS name, pg_catalog.pg_relation_size(c.oid) AS bytes FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
        [workSchema],
      ),
    );
    for (const row of r.rows) sizes.set(`${db}\u0000${row.name}`, Number(row.bytes));
  }
  return sizes;
}

async function dropAndTruncate(withDb: WithDatabase, policy: ResolvedPolicy, database: string, run: MaskingRun): Promise<void> {
  await withDb(database, async (c) => {
    const excluded = policy.exclude.filter((t) => t.database === database);
    if (excluded.length) {
      await c.query(`DROP TABLE ${excluded.map((t) => qualifiedName(t.schema, t.table)).join(", ")} CASCADE`);
      run.excluded.push(...excluded.map((t) => `${database}.${t.schema}.${t.table}`));
    }
    const truncated = policy.truncate.filter((t) => t.database === database);
    if (truncated.length) {
      await c.query(`TRUNCATE ${truncated.map((t) => qualifiedName(t.schema, t.table)).join(", ")}`).catch((e: Error) => {
        throw new BuildError(
          `truncating ${truncated.map((t) => t.table).join(", ")} in ${database}: ${e.message}; list the referencing tables under truncate too`,
        );
      });
      run.truncated.push(...truncated.map((t) => `${database}.${t.schema}.${t.table}`));
    }
  });
}

async function maskTable(
  session: <T>(fn: (c: pg.Client) => Promise<T>) => Promise<T>,
  work: TableWork,
  families: MappedFamilies,
  workSchema: string,
  key: Buffer,
  reporter: Reporter,
): Promise<number> {
  const { rules } = work;
  const { database, schema, table, where } = rules[0]!;
  const label = `${database}.${schema}.${table}`;
  try {
    const mapped: MappedColumn[] = rules.filter(isValueRule).map((rule) => ({ rule, mapTable: families.mapTableOf.get(rule)!, mapSchema: workSchema }));
    const sqlRules = rules.filter((r) => !isValueRule(r) && r.transformer !== "shuffle");
    const update = async (c: pg.Client, slice?: { from: number; to: number }) => {
      if (!mapped.length && !sqlRules.length) return 0;
      const statement = tableUpdate(schema, table, mapped, sqlRules, where, slice && sliceCondition(slice));
      reporter.debug(`masking ${label}: ${statement.text}`);
      return (await c.query(statement.text, statement.values)).rowCount ?? 0;
    };
    let changed: number;
    if (work.slices) {
      changed = (await runSlices(work.slices, session, update)).reduce((a, b) => a + b, 0);
    } else {
      changed = await session(async (c) => {
        let n = await update(c);
        for (const r of rules.filter((x) => x.transformer === "shuffle")) {
          const salt = crypto.createHmac("sha256", key).update(`dbclone/shuffle/v1\u0000${label}.${r.column}`).digest("hex");
          const s = shuffleUpdate(schema, table, r.column, salt, where);
          n = Math.max(n, (await c.query(s.text, s.values)).rowCount ?? 0);
        }
        return n;
      });
    }
    reporter.info(
      `Masked ${label}: ${rules.map((r) => `${r.column} (${r.transformer})`).join(", ")} — ${changed} rows` +
        (work.slices ? ` (${work.slices.length} block ranges at once)` : ""),
    );
    return changed;
  } catch (e) {
    if (e instanceof DbcloneError) throw e;
    throw new BuildError(`masking ${label} failed: ${(e as Error).message}${where ? ` (the table's where is: ${where})` : ""}`, { cause: e });
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
