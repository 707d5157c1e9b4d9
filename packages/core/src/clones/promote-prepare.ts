// Before a clone's data becomes an image version (PostgreSQL): end the app's sessions, give
// what the clone's login created to the image's admin, drop that login (it is the clone's, with
// a password the registry knew), and recompute statistics so the manifest's row counts are true.
import type pg from "pg";
import { quoteIdent, withAdmin } from "../engine/postgres/index.js";
import { connectableDatabases } from "../engine/postgres/client.js";
import { dropForeignSecrets } from "../engine/postgres/foreign-access.js";
import { forgetRolePasswords } from "../engine/postgres/role-passwords.js";
import { OWNER_ROLE } from "../engine/postgres/ownership.js";
import type { RunningServer } from "../engine/types.js";
import { CloneError } from "../errors.js";

/** An admin session that sees only the catalog's functions: the clone's user may have defined look-alikes (say a public.format). */
function withDb<T>(server: RunningServer, database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return withAdmin(server, database, fn, { catalogOnly: true });
}

export async function detachCloneLogin(server: RunningServer, databases: string[], login: string): Promise<void> {
  const [first] = databases;
  if (!first) return;
  const role = quoteIdent(login);
  const admin = quoteIdent(server.adminUser);
  await withDb(server, first, (c) => c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()", [login]));
  const exists = await withDb(server, first, async (c) => (await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [login])).rowCount);
  for (const db of databases) {
    await withDb(server, db, async (c) => {
      if (exists) {
        // What the clone created goes to the image's owner role (see engine/postgres/ownership.ts),
        // so the next version's clone logins can alter it too; the admin where there is none.
        const owner = (await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [OWNER_ROLE])).rowCount ? quoteIdent(OWNER_ROLE) : admin;
        await c.query(`REASSIGN OWNED BY ${role} TO ${owner}`);
        await c.query(`DROP OWNED BY ${role}`);
      }
      await c.query("ANALYZE");
    });
  }
  if (exists) await withDb(server, first, (c) => c.query(`DROP ROLE ${role}`));
}

/**
 * A promoted layer carries no password verifier: the app may have made roles with passwords, and
 * the dropped clone login's verifier is still in pg_authid's old tuples (role-passwords.ts). The
 * app may also have made a user mapping with a password or a file_fdw table (foreign-access.ts).
 */
export async function stripRolePasswords(server: RunningServer, database: string): Promise<void> {
  await forgetRolePasswords(server, database, (m) => new CloneError(`${m} The clone was not promoted.`));
  const databases = await withDb(server, database, connectableDatabases);
  for (const db of databases) await withDb(server, db, (c) => dropForeignSecrets(c, (m) => new CloneError(`Database ${db}: ${m} The clone was not promoted.`)));
}
