// Makes data fit to publish: the clones' login group and its grants (login-group.ts), no dead tuples,
// statistics from the current data, a final checkpoint.
import os from "node:os";
import type pg from "pg";
import type { Reporter } from "../../reporter.js";
import type { RunningServer } from "../types.js";
import { userDatabases, withAdmin } from "./client.js";
import { grantCloneLoginGroup } from "./login-group.js";
import { qualifiedName } from "./sql.js";
import { mapLimit } from "../../util/map-limit.js";
import { stopServer } from "./server.js";

export interface ScrubOptions {
  /**
   * VACUUM FULL rewrites every table and index, so no old row version survives anywhere in a
   * data file — needed after masking by UPDATE; plain VACUUM only marks space reusable.
   */
  full?: boolean;
  /** Tables rewritten at once, each in its own session (default: the cores available). */
  jobs?: number;
}

const FULL = "VACUUM (FULL, FREEZE, ANALYZE)";
// Statistics of the unmasked data (a data-directory source brings the source's; a build may have
// analyzed before masking) hold its values: most common values, histogram bounds, extended MCV
// lists. ANALYZE replaces a column's row only when it gathers that column again — never for a
// column or statistics object whose target is 0, nor for a table it samples empty — so every row
// goes first and ANALYZE then gathers statistics of the masked data only. The leak scan explains
// the statistics catalogs' live tuples as published data (pg-page.ts), which holds only after this.
const FORGET_STATISTICS = ["DELETE FROM pg_catalog.pg_statistic", "DELETE FROM pg_catalog.pg_statistic_ext_data"];
// ANALYZE replaces each table's pg_statistic rows as it goes, leaving the previous ones as dead
// tuples: rewrite the statistics catalogs last.
const STATISTICS = "VACUUM (FULL, FREEZE) pg_catalog.pg_statistic, pg_catalog.pg_statistic_ext_data";

async function forgetStatistics(c: pg.Client): Promise<void> {
  for (const statement of FORGET_STATISTICS) await c.query(statement);
}

export async function scrub(server: RunningServer, reporter: Reporter, opts: ScrubOptions = {}): Promise<void> {
  // The objects are final (masking has run): the group's grants cover exactly them.
  await grantCloneLoginGroup(server);
  const databases = await withAdmin(server, "template1", userDatabases);
  const jobs = Math.max(1, opts.jobs ?? os.availableParallelism());
  const progress = reporter.progress(opts.full ? "VACUUM FULL + ANALYZE" : "VACUUM ANALYZE", databases.length);
  let done = 0;
  for (const db of databases) {
    if (opts.full && jobs > 1) await vacuumFullInParallel(server, db, jobs);
    else
      await withAdmin(server, db, async (c) => {
        if (opts.full) await forgetStatistics(c);
        await c.query(opts.full ? FULL : "VACUUM (FREEZE, ANALYZE)");
        if (opts.full) await c.query(STATISTICS);
      });
    progress.update(++done);
  }
  await withAdmin(server, "template1", (c) => c.query("CHECKPOINT"));
  progress.finish();
  await stopServer(server, { fast: true });
}

/**
 * What the database-wide VACUUM FULL does, on every core: the same relations (every table and
 * materialized view; a partitioned table is analyzed as a whole), the largest first, up to `jobs`
 * at once in separate sessions (VACUUM FULL locks only its own table). The system catalogs go after
 * the user tables, one at a time in one session (their rewrites would wait on each other), and the
 * statistics catalogs last of all.
 */
async function vacuumFullInParallel(server: RunningServer, db: string, jobs: number): Promise<void> {
  // Listed in a catalog-only session and quoted here, not by the server's format(): a look-alike
  // function in the restored data must not rename or hide a relation the rewrite has to reach.
  const relations = await withAdmin(
    server,
    db,
    async (c) => {
      const r = await c.query<{ schema: string; table: string; kind: string }>(
        `SELECT n.nspname AS schema, c.relname AS table, c.relkind::text AS kind
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'm', 'p') AND c.relpersistence <> 't'
         ORDER BY pg_total_relation_size(c.oid) DESC, n.nspname, c.relname`,
      );
      return r.rows.map((x) => ({ name: qualifiedName(x.schema, x.table), kind: x.kind, catalog: x.schema === "pg_catalog" }));
    },
    { catalogOnly: true },
  );
  const user = relations.filter((r) => !r.catalog && r.kind !== "p");
  await withAdmin(server, db, forgetStatistics);
  // One session per lane, reused for its tables.
  await mapLimit(
    user,
    jobs,
    (rel, _i, c: pg.Client) => c.query(`${FULL} ${rel.name}`),
    (lane) => withAdmin(server, db, lane),
  );
  await withAdmin(server, db, async (c) => {
    for (const rel of relations.filter((r) => r.kind === "p")) await c.query(`ANALYZE ${rel.name}`);
    for (const rel of relations.filter((r) => r.catalog)) await c.query(`${FULL} ${rel.name}`);
    await c.query(STATISTICS);
  });
}
