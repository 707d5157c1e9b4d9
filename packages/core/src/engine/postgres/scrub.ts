// Makes data fit to publish: no dead tuples, statistics from the current data, a final checkpoint.
import type { Reporter } from "../../reporter.js";
import type { RunningServer } from "../types.js";
import { userDatabases, withAdmin } from "./client.js";
import { stopServer } from "./server.js";

export interface ScrubOptions {
  /**
   * VACUUM FULL rewrites every table and index, so no old row version survives anywhere in a
   * data file — needed after masking by UPDATE; plain VACUUM only marks space reusable.
   */
  full?: boolean;
}

export async function scrub(server: RunningServer, reporter: Reporter, opts: ScrubOptions = {}): Promise<void> {
  const databases = await withAdmin(server, "template1", userDatabases);
  const progress = reporter.progress(opts.full ? "VACUUM FULL + ANALYZE" : "VACUUM ANALYZE", databases.length);
  let done = 0;
  for (const db of databases) {
    await withAdmin(server, db, async (c) => {
      await c.query(opts.full ? "VACUUM (FULL, FREEZE, ANALYZE)" : "VACUUM (FREEZE, ANALYZE)");
      // ANALYZE replaces each table's pg_statistic rows as it goes, leaving the previous ones —
      // statistics of the unmasked data — as dead tuples: rewrite the statistics catalogs last.
      if (opts.full) await c.query("VACUUM (FULL, FREEZE) pg_catalog.pg_statistic, pg_catalog.pg_statistic_ext_data");
    });
    progress.update(++done);
  }
  await withAdmin(server, "template1", (c) => c.query("CHECKPOINT"));
  progress.finish();
  await stopServer(server, { fast: true });
}
