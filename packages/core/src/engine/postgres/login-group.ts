// The clones' login group: one NOLOGIN role per image holding exactly what a clone's login may do
// (grants.ts), made when the image is built (scrub) and again when a clone is promoted, so that a
// clone's login is one CREATE ROLE … IN ROLE instead of a scan of the catalogs and its grants
// (10–30 ms on a new clone's cold catalogs). An image without it (built before it existed) or whose
// role of that name is not harmless, through every membership, gets the login made the long way.
import type pg from "pg";
import type { RunningServer } from "../types.js";
import { withAdmin } from "./client.js";
import { grantStatementsSql, harmlessRole, LEAST_PRIVILEGE, runFormatted } from "./grants.js";
import { imageDatabaseNames } from "./inventory.js";

export const CLONE_LOGIN_GROUP = "dbclone_clones";

/**
 * Make (or bring up to date) the group and its grants, in catalog-only sessions, in each database a
 * clone's login is granted: those the image lists (inventory.ts).
 */
export async function grantCloneLoginGroup(server: RunningServer): Promise<void> {
  const databases = await imageDatabaseNames(server);
  for (const [i, db] of databases.entries()) {
    await withAdmin(server, db, (c) => runFormatted(c, grantStatementsSql(i === 0 ? "group" : "none"), [CLONE_LOGIN_GROUP, db]), { catalogOnly: true });
  }
}

/** What the first query of a clone's login reads (probeCloneLogin). */
export interface CloneLoginProbe {
  /** The server's dbclone.clone_id and dbclone.image_digest settings (null when unset). */
  id: string | null;
  digest: string | null;
  /** The statement that makes the login a member of the group, formatted by the server; absent when it may not join. */
  joinStatement?: string;
}

/**
 * One round trip, the first of a clone's login: the server's identity settings, and the statement
 * that makes the login ($2 name, $3 SCRAM verifier) a member of the group, formatted by the server,
 * when the group exists, cannot log in and is harmless through every role it is a member of, and no
 * role of the login's name exists. Read from pg_authid, not the pg_roles view: on a new clone every
 * catalog page is cold, and the view would also read pg_rewrite and pg_db_role_setting.
 */
export async function probeCloneLogin(c: pg.Client, login: string, verifier: string): Promise<CloneLoginProbe> {
  const r = await c.query<{ id: string | null; digest: string | null; stmt: string | null }>(
    `SELECT current_setting('dbclone.clone_id', true) AS id, current_setting('dbclone.image_digest', true) AS digest,
            (SELECT format('CREATE ROLE %I LOGIN PASSWORD %L ${LEAST_PRIVILEGE} IN ROLE %I', $2::text, $3::text, g.rolname)
               FROM pg_authid g
              WHERE g.rolname = $1::text AND NOT g.rolcanlogin
                AND ${harmlessRole("g", "pg_authid")}
                AND NOT EXISTS (SELECT 1 FROM pg_authid l WHERE l.rolname = $2::text)) AS stmt`,
    [CLONE_LOGIN_GROUP, login, verifier],
  );
  const row = r.rows[0]!;
  return { id: row.id, digest: row.digest, ...(row.stmt ? { joinStatement: row.stmt } : {}) };
}

/**
 * Run the probe's join statement. Its commit does not wait for the WAL flush (SET LOCAL: this
 * transaction only; an ephemeral clone's server never waits anyway), which saves a durable clone a
 * WAL fsync on its critical path: the WAL writer flushes the commit within 3 × wal_writer_delay
 * (600 ms by default). Only a crash inside that window can lose the login, and a host crash ends
 * the clone anyway (its server is gone, gc removes it).
 */
export async function joinCloneLoginGroup(c: pg.Client, joinStatement: string): Promise<void> {
  // Simple protocol, one implicit transaction: the SET LOCAL holds for the CREATE ROLE only.
  await c.query(`SET LOCAL synchronous_commit = off;\n${joinStatement}`);
}
