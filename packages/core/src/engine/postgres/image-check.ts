// What a build takes out of a copied cluster's catalogs (restore.ts: source-privileges.ts,
// role-settings.ts, foreign-access.ts, untrusted-functions.ts, ownership.ts, role-passwords.ts) is
// checked again, read only, on a clone's server before its login exists: an image built by an older
// version of dbclone, or made or altered outside `dbclone build`, may still carry a password, a
// widened system grant, a preload library, a reachable untrusted function, a superuser's
// SECURITY DEFINER function or view, a foreign server's secret, a subscription, an event trigger or
// a trigger running untrusted or a superuser's code (code-triggers.ts). Each finding
// names an object and what it holds, never a value. Catalog-only admin sessions: a look-alike
// function in the image's schemas never runs here.
import type pg from "pg";
import { mapLimit } from "../../util/map-limit.js";
import type { RunningServer } from "../types.js";
import { connectableDatabases, withAdmin } from "./client.js";
import { codeTriggers } from "./code-triggers.js";
import { foreignOptionHolders } from "./foreign-access.js";
import { carriedSettings, describeSetting } from "./role-settings.js";
import { describeGrant, widenedSystemGrants } from "./source-privileges.js";
import { reachableUntrustedFunctions } from "./untrusted-functions.js";

const CHECK_SESSIONS = 4;

type Server = Pick<RunningServer, "socketDir" | "port" | "adminUser">;

// Superuser-owned code a non-superuser reaches outside the system schemas and extensions: a
// SECURITY DEFINER function it may execute runs as that superuser; a view reads as its owner. The
// build hands every such object to the owner role (ownership.ts).
const RUNS_AS_SUPERUSER = `
WITH ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
SELECT format('function %s (SECURITY DEFINER, owned by superuser %I)', p.oid::regprocedure, o.rolname) AS what
  FROM pg_proc p JOIN pg_roles o ON o.oid = p.proowner JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prosecdef AND o.rolsuper AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
   AND EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a LEFT JOIN pg_roles r ON r.oid = a.grantee
                WHERE NOT coalesce(r.rolsuper, false))
UNION ALL
SELECT format('%s %s (owned by superuser %I)', CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, c.oid::regclass, o.rolname)
  FROM pg_class c JOIN pg_roles o ON o.oid = c.relowner JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('v', 'm') AND o.rolsuper AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
 ORDER BY 1`;

/**
 * Everything the connected cluster carries that a build of this version would have taken out:
 * one line per finding, at most `limit` per kind. Empty: the image is fit to clone.
 */
export async function imageCatalogFindings(server: Server, limit = 5): Promise<string[]> {
  const findings: string[] = [];
  const add = (lines: string[]) => findings.push(...lines.slice(0, limit));
  const databases = await withAdmin(server, "template1", (c) => clusterFindings(c, add), { catalogOnly: true });
  // A session per database, a few side by side (each is a fresh backend with cold catalog caches).
  const perDatabase = await mapLimit(databases, CHECK_SESSIONS, (db) => withAdmin(server, db, (c) => databaseFindings(c, db, limit), { catalogOnly: true }));
  for (const lines of perDatabase) findings.push(...lines);
  return findings;
}

async function databaseFindings(c: pg.Client, db: string, limit: number): Promise<string[]> {
  const at = (line: string) => `database ${db}: ${line}`;
  return [
    ...(await widenedSystemGrants(c)).map((g) => at(`grants ${describeGrant(g)}`)).slice(0, limit),
    ...(await reachableUntrustedFunctions(c))
      .map((f) => at(`function ${f.name} in untrusted language ${f.language} is reachable by a non-superuser`))
      .slice(0, limit),
    ...(await foreignOptionHolders(c)).map((h) => at(`${h.what} holds ${h.options}`)).slice(0, limit),
    ...(await c.query<{ what: string }>(RUNS_AS_SUPERUSER)).rows.map((r) => at(r.what)).slice(0, limit),
    ...(await codeTriggers(c)).map((t) => at(t.what)).slice(0, limit),
  ];
}

/** Cluster-wide catalogs (shared by every database); returns the databases to check one by one. */
async function clusterFindings(c: pg.Client, add: (lines: string[]) => void): Promise<string[]> {
  const passwords = await c.query<{ name: string }>("SELECT quote_ident(rolname) AS name FROM pg_authid WHERE rolpassword IS NOT NULL ORDER BY 1");
  add(passwords.rows.map((r) => `role ${r.name} has a password`));
  add((await carriedSettings(c)).map((s) => `sets ${describeSetting(s)} with ALTER ROLE/DATABASE … SET`));
  const subscriptions = await c.query<{ name: string }>("SELECT quote_ident(subname) AS name FROM pg_subscription ORDER BY 1");
  add(subscriptions.rows.map((r) => `has the logical subscription ${r.name}`));
  return connectableDatabases(c);
}
