// What a copied cluster's catalogs may grant beyond PostgreSQL's own defaults. A data directory, a
// live server or a base backup brings its roles and the ACLs of the system catalogs with it: a
// `GRANT EXECUTE ON FUNCTION pg_read_binary_file(text) TO PUBLIC`, a `GRANT SELECT ON pg_authid` to
// an owner role a clone's login joins, a `GRANT SET ON PARAMETER`, or a source role that takes a
// name dbclone reserves (with its own memberships) would each hand a clone's login more than the
// image's own objects. At build time, before the image is sealed, each is taken back; what cannot be
// taken back refuses the build. Every statement is formatted by the server from its catalogs, in
// catalog-only sessions (a look-alike function in the data never runs).
import type pg from "pg";
import { BuildError } from "../../errors.js";
import { LEAST_PRIVILEGE } from "./grants.js";
import { CLONE_LOGIN_GROUP } from "./login-group.js";
import { OWNER_ROLE } from "./ownership.js";

/** Roles dbclone makes itself; a source's role of the same name is brought down to a bare NOLOGIN role. */
export const RESERVED_ROLES: readonly string[] = [OWNER_ROLE, CLONE_LOGIN_GROUP];

/**
 * Reserved roles present in the source: stripped of attributes and of every membership they hold,
 * so that what dbclone grants them later is all they have. Cluster-wide: run once, in any database.
 */
export async function resetReservedRoles(c: pg.Client): Promise<string[]> {
  const reset = await c.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[]) ORDER BY rolname", [RESERVED_ROLES]);
  if (reset.rows.length === 0) return [];
  const stmts = await c.query<{ stmt: string }>(
    `SELECT format('ALTER ROLE %I NOLOGIN ${LEAST_PRIVILEGE}', rolname) AS stmt FROM pg_roles WHERE rolname = ANY($1::text[])
     UNION ALL
     SELECT format('REVOKE %I FROM %I', g.rolname, m.rolname)
       FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
      WHERE m.rolname = ANY($1::text[])`,
    [RESERVED_ROLES],
  );
  for (const { stmt } of stmts.rows) await c.query(stmt);
  const left = await c.query(
    `SELECT 1 FROM pg_roles r WHERE r.rolname = ANY($1::text[])
        AND (r.rolcanlogin OR r.rolsuper OR r.rolcreatedb OR r.rolcreaterole OR r.rolreplication OR r.rolbypassrls
             OR EXISTS (SELECT 1 FROM pg_auth_members a WHERE a.member = r.oid))`,
    [RESERVED_ROLES],
  );
  if (left.rowCount)
    throw new BuildError(
      `The source's role(s) ${reset.rows.map((r) => r.rolname).join(", ")} (names dbclone reserves) kept privileges after reset; the image was not built.`,
    );
  return reset.rows.map((r) => r.rolname);
}

// One row per privilege granted to a non-superuser grantee on a system object (pg_catalog, or any
// extension's member) that its initial privileges (pg_init_privs, else the kind's default) did not
// give that grantee or PUBLIC. information_schema is left out: its views are public and filter by
// the caller's own privileges, and initdb records no initial privileges for it.
const WIDENED = `
WITH ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e'),
objs AS (
  SELECT 'FUNCTION' AS kind, p.oid::regprocedure::text AS name, 'pg_proc'::regclass AS cls, p.oid AS obj, 0 AS sub,
         p.proacl AS acl, acldefault('f', p.proowner) AS dflt
    FROM pg_proc p
   WHERE p.proacl IS NOT NULL AND (p.pronamespace = 'pg_catalog'::regnamespace
      OR EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid))
  UNION ALL
  SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.oid::regclass::text, 'pg_class'::regclass, c.oid, 0,
         c.relacl, acldefault((CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::"char", c.relowner)
    FROM pg_class c
   WHERE c.relacl IS NOT NULL AND (c.relnamespace = 'pg_catalog'::regnamespace
      OR EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid))
  UNION ALL
  SELECT 'COLUMN', format('(%I) ON TABLE %s', a.attname, c.oid::regclass), 'pg_class'::regclass, c.oid, a.attnum,
         a.attacl, NULL::aclitem[]
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
   WHERE a.attacl IS NOT NULL AND (c.relnamespace = 'pg_catalog'::regnamespace
      OR EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid))
  UNION ALL
  SELECT 'SCHEMA', quote_ident(n.nspname), 'pg_namespace'::regclass, n.oid, 0, n.nspacl, acldefault('n', n.nspowner)
    FROM pg_namespace n
   WHERE n.nspacl IS NOT NULL AND (n.oid = 'pg_catalog'::regnamespace
      OR EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_namespace'::regclass AND ext.objid = n.oid))
  UNION ALL
  SELECT 'LANGUAGE', quote_ident(l.lanname), 'pg_language'::regclass, l.oid, 0, l.lanacl, acldefault('l', l.lanowner)
    FROM pg_language l WHERE l.lanacl IS NOT NULL
  UNION ALL
  SELECT 'FOREIGN DATA WRAPPER', quote_ident(w.fdwname), 'pg_foreign_data_wrapper'::regclass, w.oid, 0, w.fdwacl, acldefault('F', w.fdwowner)
    FROM pg_foreign_data_wrapper w WHERE w.fdwacl IS NOT NULL
)
SELECT o.kind, o.name, g.privilege_type AS privilege,
       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee
  FROM objs o
  LEFT JOIN pg_init_privs i ON i.classoid = o.cls AND i.objoid = o.obj AND i.objsubid = o.sub
  CROSS JOIN LATERAL aclexplode(o.acl) g
  LEFT JOIN pg_roles r ON r.oid = g.grantee
 WHERE NOT coalesce(r.rolsuper, false)
   AND NOT EXISTS (SELECT 1 FROM aclexplode(coalesce(i.initprivs, o.dflt)) b
                    WHERE b.privilege_type = g.privilege_type AND b.grantee IN (g.grantee, 0))
UNION ALL
-- initdb grants no SET / ALTER SYSTEM on any parameter.
SELECT 'PARAMETER', quote_ident(p.parname), g.privilege_type,
       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END
  FROM pg_parameter_acl p
  CROSS JOIN LATERAL aclexplode(p.paracl) g
  LEFT JOIN pg_roles r ON r.oid = g.grantee
 WHERE NOT coalesce(r.rolsuper, false)
 ORDER BY 1, 2, 3, 4`;

// Privilege names aclexplode reports; anything else is not spliced into a statement.
const PRIVILEGES = new Set([
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "TRUNCATE",
  "REFERENCES",
  "TRIGGER",
  "EXECUTE",
  "USAGE",
  "CREATE",
  "CONNECT",
  "TEMPORARY",
  "SET",
  "ALTER SYSTEM",
]);

export interface WidenedGrant {
  kind: string;
  name: string;
  privilege: string;
  grantee: string;
}

/** The connected database's privileges on system objects beyond PostgreSQL's defaults (read only). */
export async function widenedSystemGrants(c: pg.Client): Promise<WidenedGrant[]> {
  return (await c.query<WidenedGrant>(WIDENED)).rows;
}

const describe = (g: WidenedGrant) => `${g.privilege} on ${g.kind.toLowerCase()} ${g.name} to ${g.grantee}`;

/**
 * Take back, in the connected database, every privilege on a system object the source granted
 * beyond PostgreSQL's defaults; refuse the build when one is still there afterwards.
 */
export async function revokeWidenedSystemGrants(c: pg.Client): Promise<WidenedGrant[]> {
  const widened = await widenedSystemGrants(c);
  for (const g of widened) {
    if (!PRIVILEGES.has(g.privilege))
      throw new BuildError(`The source grants an unknown privilege (${g.privilege}) on ${g.kind.toLowerCase()} ${g.name}; the image was not built.`);
    // Names come quoted from the server (regprocedure/regclass output, quote_ident, format %I).
    // CASCADE: grants made onwards from a grant option go with it.
    const on = g.kind === "COLUMN" ? "" : `${g.kind} `;
    const target = g.kind === "COLUMN" ? `${g.privilege} ${g.name}` : `${g.privilege} ON ${on}${g.name}`;
    await c.query(`REVOKE ${target} FROM ${g.grantee} CASCADE`);
  }
  const left = await widenedSystemGrants(c);
  if (left.length > 0) {
    throw new BuildError(
      `The source grants ${left.length} privilege(s) on system objects beyond PostgreSQL's defaults that could not be taken back (${left.slice(0, 3).map(describe).join("; ")}); revoke them in the source. The image was not built.`,
    );
  }
  return widened;
}

export const describeGrant = describe;
