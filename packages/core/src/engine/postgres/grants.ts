// What a clone's login may do in an image, as statements PostgreSQL formats from its own catalogs:
// made for each clone's login (login.ts), or once for the clones' login group (login-group.ts).
import type pg from "pg";
import { SYSTEM_SCHEMA_FILTER } from "./sql.js";

/** Run statements the server itself formatted (%I / %L), so no value is ever spliced in by us. */
export async function runFormatted(c: pg.Client, sql: string, params: unknown[]): Promise<void> {
  const r = await c.query<{ stmt: string }>(sql, params);
  // One round trip for all of them (simple protocol, one implicit transaction): each is complete.
  if (r.rows.length > 0) await c.query(r.rows.map((row) => row.stmt).join(";\n"));
}

/** Attributes no clone login or login group may have. */
export const LEAST_PRIVILEGE = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS";

/**
 * A role (`r`) that is harmless, itself and through every role it is a member of: no SUPERUSER,
 * CREATEROLE, REPLICATION, BYPASSRLS, no server-program or server-file role. `roles`: the catalog
 * the other roles are read from (pg_authid, the table under the pg_roles view, for an admin session
 * that must touch as few catalog pages as it can: a new clone's are all cold).
 */
export const harmlessRole = (
  r: string,
  roles: "pg_roles" | "pg_authid" = "pg_roles",
) => `NOT (${r}.rolsuper OR ${r}.rolcreaterole OR ${r}.rolreplication OR ${r}.rolbypassrls)
        AND NOT EXISTS (SELECT 1 FROM ${roles} d
          WHERE (d.rolsuper OR d.rolcreaterole OR d.rolreplication OR d.rolbypassrls
                 OR d.rolname IN ('pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'))
            AND pg_has_role(${r}.oid, d.oid, 'MEMBER'))`;

/**
 * An extension's members keep what its script gave them, and functions in an untrusted language
 * what the build left them (untrusted-functions.ts), not what the blanket grants add: REVOKE from
 * the role ($1) what PUBLIC does not have on them. dblink's script keeps dblink_connect_u from
 * PUBLIC (it connects without a password, so to the server's own socket as its superuser);
 * adminpack's, pg_stat_statements' and others' likewise.
 */
const EXTENSION_MEMBERS_KEPT = `
      SELECT format('REVOKE EXECUTE ON ROUTINE %s FROM %I', p.oid::regprocedure, $1::text) AS stmt
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
       WHERE ${SYSTEM_SCHEMA_FILTER}
         AND (NOT l.lanpltrusted OR EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'))
         AND NOT EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                          WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
      UNION ALL
      SELECT format('REVOKE ALL ON %s %s FROM %I', CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.oid::regclass, $1::text)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE ${SYSTEM_SCHEMA_FILTER} AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
         AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`;

/**
 * Statements ($1 the role, $2 the database, $3 the login's SCRAM verifier for `login`), in order:
 * make or update the role (`login`: a login with that password; `group`: the NOLOGIN login group;
 * `none`: roles are cluster-wide, made in the first database only), then what it may do in `db`:
 * connect, its schemas, tables, sequences, functions (less what EXTENSION_MEMBERS_KEPT keeps), and
 * the harmless owner roles.
 */
export function grantStatementsSql(role: "login" | "group" | "none"): string {
  const made = (attributes: string) => `SELECT 0 AS ord, format('%s ROLE %I ${attributes} ${LEAST_PRIVILEGE}',
         CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1::text) THEN 'ALTER' ELSE 'CREATE' END, $1::text${role === "login" ? ", $3::text" : ""}) AS stmt
       UNION ALL `;
  const clause = role === "login" ? made("LOGIN PASSWORD %L") : role === "group" ? made("NOLOGIN") : "";
  return `SELECT stmt FROM (
    ${clause}SELECT 1 AS ord, format('GRANT CONNECT, CREATE, TEMPORARY ON DATABASE %I TO %I', $2::text, $1::text) AS stmt
    UNION ALL
    SELECT 2, unnest(ARRAY[
       format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', nspname, $1::text),
       format('GRANT ALL ON ALL TABLES IN SCHEMA %I TO %I', nspname, $1::text),
       format('GRANT ALL ON ALL SEQUENCES IN SCHEMA %I TO %I', nspname, $1::text),
       format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %I TO %I', nspname, $1::text),
       format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT ALL ON TABLES TO %I', nspname, $1::text),
       format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT ALL ON SEQUENCES TO %I', nspname, $1::text)])
     FROM pg_namespace WHERE ${SYSTEM_SCHEMA_FILTER}
    UNION ALL
    SELECT 3, stmt FROM (${EXTENSION_MEMBERS_KEPT}) kept
    UNION ALL
    SELECT 4, owners.stmt FROM (
      SELECT DISTINCT format('GRANT %I TO %I', r.rolname, $1::text) AS stmt
      FROM (SELECT relowner AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${SYSTEM_SCHEMA_FILTER}
            UNION SELECT nspowner FROM pg_namespace WHERE ${SYSTEM_SCHEMA_FILTER}) o
      JOIN pg_roles r ON r.oid = o.owner
      WHERE ${harmlessRole("r")}
        AND r.rolname <> $1::text AND r.rolname NOT LIKE 'pg\\_%') owners
  ) s ORDER BY ord`;
}
