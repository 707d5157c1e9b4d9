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

/**
 * Make the login ($1 name, $2 SCRAM verifier) a member of the group, in one statement the server
 * formats; false (nothing made) when the group is missing, can log in or is not harmless through
 * every role it is a member of, or a role of the login's name exists.
 */
export async function joinCloneLoginGroup(c: pg.Client, login: string, verifier: string): Promise<boolean> {
  const r = await c.query<{ stmt: string }>(
    `SELECT format('CREATE ROLE %I LOGIN PASSWORD %L ${LEAST_PRIVILEGE} IN ROLE %I', $2::text, $3::text, g.rolname) AS stmt
       FROM pg_roles g
      WHERE g.rolname = $1::text AND NOT g.rolcanlogin
        AND ${harmlessRole("g")}
        AND NOT EXISTS (SELECT 1 FROM pg_roles l WHERE l.rolname = $2::text)`,
    [CLONE_LOGIN_GROUP, login, verifier],
  );
  const stmt = r.rows[0]?.stmt;
  if (!stmt) return false;
  await c.query(stmt);
  return true;
}
