// How masking code reaches a database: an admin connection (build) or a URL (dbclone scan --server).
import pg from "pg";
import { withAdmin } from "../client.js";
import type { RunningServer } from "../../types.js";

export type WithDatabase = <T>(database: string, fn: (c: pg.Client) => Promise<T>) => Promise<T>;

export function adminConnector(server: RunningServer): WithDatabase {
  return (database, fn) => withAdmin(server, database, fn);
}

/**
 * Admin sessions with only pg_catalog on the search path, for what reads the catalogs and the data
 * to decide what is masked and what is a leak (schema facts, the PII scan, the leak scan's read-back):
 * a look-alike function in the data (an exact argument match beats pg_catalog's) must not steer them.
 */
export function catalogConnector(server: RunningServer): WithDatabase {
  return (database, fn) => withAdmin(server, database, fn, { catalogOnly: true });
}

/** Connect with a URL, switching only the database name. */
export function urlConnector(url: string): WithDatabase {
  return async (database, fn) => {
    const u = new URL(url);
    u.pathname = `/${encodeURIComponent(database)}`;
    const client = new pg.Client({ connectionString: u.toString() });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  };
}
