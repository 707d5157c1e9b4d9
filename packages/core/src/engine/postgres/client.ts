// Connections as the admin over the private unix socket (never over TCP).
import pg from "pg";
import type { RunningServer } from "../types.js";

export async function adminClient(server: Pick<RunningServer, "socketDir" | "port" | "adminUser">, database = "postgres"): Promise<pg.Client> {
  if (!server.socketDir) throw new Error("This PostgreSQL server has no private socket directory; admin access needs it.");
  const client = new pg.Client({ host: server.socketDir, port: server.port, user: server.adminUser, database });
  await client.connect();
  return client;
}

/** Run `fn` with an admin connection to `database`, always closing it. */
export async function withAdmin<T>(
  server: Pick<RunningServer, "socketDir" | "port" | "adminUser">,
  database: string,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await adminClient(server, database);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Databases a person would call theirs: connectable, not templates. */
export async function userDatabases(c: pg.Client): Promise<string[]> {
  const r = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname");
  return r.rows.map((row) => row.datname);
}
