// Foreign tables, servers and user mappings reach outside the image: a user mapping carries a
// password for another (often production) server, a `password_required 'false'` lets a
// non-superuser connect without one (to the clone server's own socket, as its superuser), and a
// file_fdw table runs `program` or reads `filename` as the server's OS user whenever someone
// selects from it, which a clone's login may. Before an image is sealed (build and promote) these
// options are taken out, in every database, and checked gone; the old catalog tuples that held
// them are rewritten. A file_fdw table keeps its definition and reads /dev/null. A logical
// subscription (its conninfo names the publisher, often with a password) is dropped, and no server
// dbclone starts runs logical replication workers (config.ts), so none connects to its publisher.
import type pg from "pg";

/** Options that hold a secret, or reach the server's files and programs. */
export const DROPPED_OPTIONS: readonly string[] = ["password", "password_required", "passfile", "sslpassword", "sslkey", "sslcert", "program", "filename"];

// One row per object holding a dropped option: a statement that takes it out (formatted by the
// server from its catalogs) and what it names (object and option, never the value).
const HOLDERS = `
WITH opt AS (SELECT unnest($1::text[]) AS key)
SELECT format('ALTER FOREIGN TABLE %s OPTIONS (%s)', t.ftrelid::regclass,
         CASE WHEN EXISTS (SELECT 1 FROM unnest(t.ftoptions) o WHERE split_part(o, '=', 1) = 'filename')
              THEN concat_ws(', ', CASE WHEN EXISTS (SELECT 1 FROM unnest(t.ftoptions) o WHERE split_part(o, '=', 1) = 'program') THEN 'DROP program' END,
                             'SET filename ''/dev/null''')
              WHEN EXISTS (SELECT 1 FROM unnest(t.ftoptions) o WHERE split_part(o, '=', 1) = 'program')
              THEN 'DROP program, ADD filename ''/dev/null'''
              ELSE '' END
         || (SELECT coalesce(string_agg(format(', DROP %I', split_part(o, '=', 1)), ''), '')
               FROM unnest(t.ftoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt) AND split_part(o, '=', 1) NOT IN ('program', 'filename'))) AS stmt,
       format('foreign table %s', t.ftrelid::regclass) AS what,
       (SELECT string_agg(split_part(o, '=', 1), ', ') FROM unnest(t.ftoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt)) AS options
  FROM pg_foreign_table t
 -- a file_fdw table already reading /dev/null reaches nothing
 WHERE EXISTS (SELECT 1 FROM unnest(t.ftoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt) AND o <> 'filename=/dev/null')
UNION ALL
SELECT format('ALTER SERVER %I OPTIONS (%s)', s.srvname,
         (SELECT string_agg(format('DROP %I', split_part(o, '=', 1)), ', ') FROM unnest(s.srvoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt))),
       format('server %I', s.srvname),
       (SELECT string_agg(split_part(o, '=', 1), ', ') FROM unnest(s.srvoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt))
  FROM pg_foreign_server s
 WHERE EXISTS (SELECT 1 FROM unnest(s.srvoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt))
UNION ALL
SELECT format('ALTER USER MAPPING FOR %s SERVER %I OPTIONS (%s)', CASE WHEN m.umuser = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, s.srvname,
         (SELECT string_agg(format('DROP %I', split_part(o, '=', 1)), ', ') FROM unnest(m.umoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt))),
       format('user mapping for %s on server %I', CASE WHEN m.umuser = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, s.srvname),
       (SELECT string_agg(split_part(o, '=', 1), ', ') FROM unnest(m.umoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt))
  FROM pg_user_mapping m JOIN pg_foreign_server s ON s.oid = m.umserver LEFT JOIN pg_roles r ON r.oid = m.umuser
 WHERE EXISTS (SELECT 1 FROM unnest(m.umoptions) o WHERE split_part(o, '=', 1) IN (SELECT key FROM opt))
 ORDER BY what`;

const CATALOGS = ["pg_catalog.pg_user_mapping", "pg_catalog.pg_foreign_server", "pg_catalog.pg_foreign_table"];

export interface ForeignOptionHolder {
  what: string;
  options: string;
}

/** Foreign tables, servers and user mappings of the connected database holding a dropped option (read only). */
export async function foreignOptionHolders(c: pg.Client): Promise<ForeignOptionHolder[]> {
  return (await c.query<ForeignOptionHolder>(HOLDERS, [DROPPED_OPTIONS])).rows.map(({ what, options }) => ({ what, options }));
}

/**
 * Take the dropped options out of every foreign table, server and user mapping of the connected
 * database (a superuser session); rewrite the catalogs that held them. Returns what was changed;
 * throws `fail(message)` when one is still there afterwards.
 */
export async function dropForeignSecrets(c: pg.Client, fail: (message: string) => Error): Promise<ForeignOptionHolder[]> {
  const holders = (await c.query<ForeignOptionHolder & { stmt: string }>(HOLDERS, [DROPPED_OPTIONS])).rows;
  for (const h of holders) {
    try {
      await c.query(h.stmt);
    } catch (e) {
      throw fail(`Could not take ${h.options} out of ${h.what} (SQLSTATE ${(e as { code?: string }).code ?? "unknown"}); drop it in the source.`);
    }
  }
  const left = await foreignOptionHolders(c);
  if (left.length > 0) throw fail(`${left.map((l) => l.what).join(", ")} still hold(s) a password, a file or a program after stripping.`);
  // Their old tuples, and the statistics ANALYZE took of them (umoptions' most common elements are
  // the options themselves), hold the values until the catalogs are rewritten.
  if (holders.length > 0) await rewriteWithoutStatistics(c, CATALOGS);
  return holders.map(({ what, options }) => ({ what, options }));
}

/**
 * Drop the connected database's logical subscriptions without reaching their publishers (disabled,
 * slot detached first), rewrite pg_subscription and its statistics; names of those dropped.
 */
export async function dropSubscriptions(c: pg.Client, fail: (message: string) => Error): Promise<string[]> {
  const subs = await c.query<{ name: string; stmts: string[] }>(
    `SELECT quote_ident(subname) AS name,
            ARRAY[format('ALTER SUBSCRIPTION %I DISABLE', subname), format('ALTER SUBSCRIPTION %I SET (slot_name = NONE)', subname), format('DROP SUBSCRIPTION %I', subname)] AS stmts
       FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY subname`,
  );
  for (const s of subs.rows) {
    for (const stmt of s.stmts) {
      try {
        await c.query(stmt);
      } catch (e) {
        throw fail(`Could not drop subscription ${s.name} (SQLSTATE ${(e as { code?: string }).code ?? "unknown"}); drop it in the source.`);
      }
    }
  }
  if (subs.rows.length > 0) await rewriteWithoutStatistics(c, ["pg_catalog.pg_subscription"]);
  return subs.rows.map((s) => s.name);
}

/** Drop `catalogs`' statistics and rewrite them and pg_statistic, so no old tuple keeps a removed value. */
async function rewriteWithoutStatistics(c: pg.Client, catalogs: readonly string[]): Promise<void> {
  await c.query(`DELETE FROM pg_catalog.pg_statistic WHERE starelid IN (${catalogs.map((t) => `'${t}'::regclass`).join(", ")})`);
  await c.query(`VACUUM FULL ${catalogs.join(", ")}, pg_catalog.pg_statistic`);
}
