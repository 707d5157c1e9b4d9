// Connections as the admin over the private unix socket (never over TCP).
import pg from "pg";
import type { RunningServer } from "../types.js";

/**
 * Startup settings of every admin session: a copied cluster's ALTER ROLE/DATABASE … SET outranks
 * the server's command line, so a session_preload_libraries it carries would load a library into
 * the admin's own session, and a log_statement would write its statements with their values to the
 * server log, before the build resets them (role-settings.ts). Client settings outrank both.
 */
export const ADMIN_SESSION =
  "-c session_preload_libraries= -c local_preload_libraries= -c log_statement=none -c log_min_duration_statement=-1 -c log_min_error_statement=panic -c debug_print_parse=off -c debug_print_rewritten=off -c debug_print_plan=off";

/**
 * Startup settings of an admin session that touches only the catalogs (the clone's login): the
 * image's own objects are data, never code, so a function or operator the data defines (say a
 * public.format(text, text, text), which an exact argument match would pick over pg_catalog's even
 * behind it in the search path) is not on the path; and no timeout or read-only default carried by
 * the image (ALTER ROLE/DATABASE … SET) or the caller's PGOPTIONS applies. Client settings outrank both.
 */
export const CATALOG_ONLY_SESSION = `${ADMIN_SESSION} -c search_path=pg_catalog -c statement_timeout=0 -c lock_timeout=0 -c idle_in_transaction_session_timeout=0 -c default_transaction_read_only=off`;

export async function adminClient(
  server: Pick<RunningServer, "socketDir" | "port" | "adminUser">,
  database = "postgres",
  opts: { catalogOnly?: boolean } = {},
): Promise<pg.Client> {
  if (!server.socketDir) throw new Error("This PostgreSQL server has no private socket directory; admin access needs it.");
  const client = new pg.Client({
    host: server.socketDir,
    port: server.port,
    user: server.adminUser,
    database,
    options: opts.catalogOnly ? CATALOG_ONLY_SESSION : ADMIN_SESSION,
  });
  await client.connect();
  return client;
}

/** Run `fn` with an admin connection to `database`, always closing it. */
export async function withAdmin<T>(
  server: Pick<RunningServer, "socketDir" | "port" | "adminUser">,
  database: string,
  fn: (c: pg.Client) => Promise<T>,
  opts: { catalogOnly?: boolean; session?: pg.Client } = {},
): Promise<T> {
  // `session`: an admin session already connected to `database` with these options (ready-session.ts).
  const client = opts.session ?? (await adminClient(server, database, opts));
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Every database a session can reach (templates included: a new database inherits their catalogs). */
export async function connectableDatabases(c: pg.Client): Promise<string[]> {
  const r = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname");
  return r.rows.map((row) => row.datname);
}

/** Databases a person would call theirs: connectable, not templates. */
export async function userDatabases(c: pg.Client): Promise<string[]> {
  const r = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname");
  return r.rows.map((row) => row.datname);
}
