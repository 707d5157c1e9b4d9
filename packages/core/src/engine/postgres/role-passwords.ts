// Password verifiers of the cluster's roles must not travel inside an image (build) or a promoted
// version (the app may have made roles with passwords): clones get their own login, and the admin
// only ever connects over the private socket, which needs none. Clearing the column is not enough:
// pg_authid's old tuples and, in every database, the statistics ANALYZE took of it (its most
// common values and histogram are verifiers) keep them in the data files until rewritten.
import type pg from "pg";
import type { RunningServer } from "../types.js";
import { connectableDatabases, withAdmin } from "./client.js";

type Server = Pick<RunningServer, "socketDir" | "port" | "adminUser">;

/**
 * Remove every role's password, rewrite pg_authid and each database's statistics of it, and fail
 * with `fail(message)` if a password remains. `database`: where to start (any connectable one).
 */
export async function forgetRolePasswords(server: Server, database: string, fail: (message: string) => Error): Promise<void> {
  const databases = await withCatalogOnly(server, database, async (c) => {
    const roles = await c.query<{ sql: string }>("SELECT format('ALTER ROLE %I PASSWORD NULL', rolname) AS sql FROM pg_authid WHERE rolpassword IS NOT NULL");
    for (const r of roles.rows) await c.query(r.sql);
    await c.query("VACUUM FULL pg_catalog.pg_authid");
    return connectableDatabases(c);
  });
  for (const db of databases) {
    await withCatalogOnly(server, db, async (c) => {
      await c.query("DELETE FROM pg_catalog.pg_statistic WHERE starelid = 'pg_catalog.pg_authid'::regclass");
      await c.query("ANALYZE pg_catalog.pg_authid");
      await c.query("VACUUM FULL pg_catalog.pg_statistic");
    });
  }
  const left = await withCatalogOnly(server, database, (c) => c.query("SELECT 1 FROM pg_authid WHERE rolpassword IS NOT NULL"));
  if (left.rowCount) throw fail(`${left.rowCount} role(s) still have a password after stripping.`);
}

// The source's own look-alike functions (a public.format) never run here.
const withCatalogOnly = <T>(server: Server, db: string, fn: (c: pg.Client) => Promise<T>) => withAdmin(server, db, fn, { catalogOnly: true });
