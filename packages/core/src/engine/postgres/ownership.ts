// Who owns the image's objects. A dump restored with --no-owner (and a cluster made by our initdb)
// leaves every table owned by the image's superuser, and only an owner may ALTER a table — so a
// clone's login could not run the migrations a pull request brings. At build time every user
// object owned by a superuser is handed to one NOLOGIN, non-superuser role, OWNER_ROLE; each clone
// login is then made a member of it (login.ts grants membership in harmless owner roles), which
// lets migrations ALTER, DROP and CREATE while the login stays far from superuser.
import type pg from "pg";
import { LEAST_PRIVILEGE } from "./grants.js";

export const OWNER_ROLE = "dbclone_owner";

/** Create OWNER_ROLE if missing (cluster-wide; run once per build, in any database). */
export async function ensureOwnerRole(c: pg.Client): Promise<void> {
  const exists = await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [OWNER_ROLE]);
  if (!exists.rowCount) {
    await c.query(`CREATE ROLE ${OWNER_ROLE} NOLOGIN ${LEAST_PRIVILEGE}`);
  }
}

// Every name is quoted by format(%I) on the server; nothing from outside the catalogs is spliced in.
// Tables go first: ALTER TABLE … OWNER also moves their indexes and the sequences their columns own.
const HAND_OVER = `
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT n.nspname FROM pg_namespace n JOIN pg_roles o ON o.oid = n.nspowner
           WHERE o.rolsuper AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO ${OWNER_ROLE}', r.nspname);
  END LOOP;
  FOR r IN SELECT c.oid, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles o ON o.oid = c.relowner
           WHERE o.rolsuper AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
             AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
           ORDER BY c.relkind = 'S', c.relkind IN ('v', 'm') LOOP
    -- Re-check: a sequence owned by a column has moved with its table by now.
    CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_class c2 JOIN pg_roles o2 ON o2.oid = c2.relowner WHERE c2.oid = r.oid AND o2.rolsuper);
    EXECUTE format('ALTER %s %s OWNER TO ${OWNER_ROLE}',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
      r.oid::regclass);
  END LOOP;
  -- Not a function in an untrusted language (C, internal, plpython3u…): untrusted-functions.ts.
  FOR r IN SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles o ON o.oid = p.proowner
           JOIN pg_language l ON l.oid = p.prolang
           WHERE o.rolsuper AND l.lanpltrusted AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO ${OWNER_ROLE}', r.oid::regprocedure);
  END LOOP;
  FOR r IN SELECT t.oid FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_roles o ON o.oid = t.typowner
           WHERE o.rolsuper AND t.typtype IN ('d', 'e', 'r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e') LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO ${OWNER_ROLE}', r.oid::regtype);
  END LOOP;
END $$`;

/** Hand every superuser-owned user object of the connected database to OWNER_ROLE. */
export async function handOverOwnership(c: pg.Client): Promise<void> {
  await c.query(HAND_OVER);
}
