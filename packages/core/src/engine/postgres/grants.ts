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
 * CREATEROLE, REPLICATION, BYPASSRLS, no server-program or server-file role.
 */
export const harmlessRole = (r: string) => `NOT (${r}.rolsuper OR ${r}.rolcreaterole OR ${r}.rolreplication OR ${r}.rolbypassrls)
        AND NOT EXISTS (SELECT 1 FROM pg_roles d
          WHERE (d.rolsuper OR d.rolcreaterole OR d.rolreplication OR d.rolbypassrls
                 OR d.rolname IN ('pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'))
            AND pg_has_role(${r}.oid, d.oid, 'MEMBER'))`;

/**
 * Statements ($1 the role, $2 the database, $3 the login's SCRAM verifier for `login`), in order:
 * make or update the role (`login`: a login with that password; `group`: the NOLOGIN login group;
 * `none`: roles are cluster-wide, made in the first database only), then what it may do in `db`:
 * connect, its schemas, tables, sequences, functions, and the harmless owner roles.
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
    SELECT 3, owners.stmt FROM (
      SELECT DISTINCT format('GRANT %I TO %I', r.rolname, $1::text) AS stmt
      FROM (SELECT relowner AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${SYSTEM_SCHEMA_FILTER}
            UNION SELECT nspowner FROM pg_namespace WHERE ${SYSTEM_SCHEMA_FILTER}) o
      JOIN pg_roles r ON r.oid = o.owner
      WHERE ${harmlessRole("r")}
        AND r.rolname <> $1::text AND r.rolname NOT LIKE 'pg\\_%') owners
  ) s ORDER BY ord`;
}
