// The admin session that answered a clone server's readiness query, kept for the clone's login: the
// login's first statements then run on a backend that already exists (and has its catalog caches
// built) instead of starting another one (~10–15 ms of every clone). Parked per server (socket
// directory + port); taken once, by the login, or ended when the server is stopped.
import type pg from "pg";

interface Parked {
  database: string;
  client: pg.Client;
}

const parked = new Map<string, Parked>();
const keyOf = (socketDir: string, port: number) => `${socketDir}\0${port}`;
const ignore = () => undefined;

/** Keep `client` (connected over the private socket to `database`, catalog-only) for the login. */
export function parkReadySession(socketDir: string, port: number, database: string, client: pg.Client): void {
  // Idle until taken: a server that stops meanwhile ends it, which must not crash the process.
  client.on("error", ignore);
  const key = keyOf(socketDir, port);
  void parked.get(key)?.client.end().catch(ignore);
  parked.set(key, { database, client });
}

/** The parked session of this server when it is connected to `database` (taken: the caller ends it); else undefined. */
export function takeReadySession(server: { socketDir?: string; port: number }, database: string): pg.Client | undefined {
  if (!server.socketDir) return undefined;
  const key = keyOf(server.socketDir, server.port);
  const p = parked.get(key);
  if (!p) return undefined;
  parked.delete(key);
  if (p.database === database) return p.client;
  void p.client.end().catch(ignore);
  return undefined;
}

/** End a session nobody took (the server is being stopped). */
export async function dropReadySession(server: { socketDir?: string; port: number }): Promise<void> {
  if (!server.socketDir) return;
  const key = keyOf(server.socketDir, server.port);
  const p = parked.get(key);
  parked.delete(key);
  await p?.client.end().catch(ignore);
}
