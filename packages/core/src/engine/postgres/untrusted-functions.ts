// Functions whose code runs outside PostgreSQL's sandbox, as the server's OS user: a C function
// naming any library (one shipped inside the data directory, say), an `internal` alias of a
// built-in (it carries none of the built-in's revoked grants: an alias of pg_read_binary_file is
// executable by PUBLIC), a plpython3u or plperlu body. Only a superuser makes one, but a copied
// cluster or a dump restored as superuser can ship any. An extension's own functions are the
// extension's (its script decides their grants). Every other one is kept from the image's roles at
// build: owned by the admin, executable by no one else, checked; the build log names them.
import type pg from "pg";

// Routines in an untrusted language outside the system schemas, but an extension's own. Membership
// alone does not make one an extension's: a superuser can `ALTER EXTENSION … ADD` any function, and
// that records its grants at the time (PUBLIC's too) as the extension's initial privileges. So a
// member still counts when it is what no extension script makes: a C function whose library is not
// a plain name found in the server's $libdir (an absolute path reaches a library shipped in the image),
// or an `internal` alias of a built-in PUBLIC may not execute (pg_read_binary_file's, say) or of
// none. An extension's harmless aliases (citext's of rtrim1 or booltext) stay the extension's.
const UNTRUSTED = `
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE NOT l.lanpltrusted AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND (NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
        OR (l.lanname = 'c' AND coalesce(p.probin, '') !~ '^([$]libdir/)?[A-Za-z0-9_][A-Za-z0-9_.-]*$')
        OR (l.lanname = 'internal' AND NOT EXISTS (
              SELECT 1 FROM pg_proc b CROSS JOIN LATERAL aclexplode(coalesce(b.proacl, acldefault('f', b.proowner))) a
               WHERE b.pronamespace = 'pg_catalog'::regnamespace AND b.prolang = p.prolang AND b.prosrc = p.prosrc
                 AND a.grantee = 0 AND a.privilege_type = 'EXECUTE')))`;

// Those a non-superuser owns or may execute. The candidates are narrowed first (materialized): the
// ownership and ACL subqueries then run for a handful of functions, not for all ~3,000 of pg_proc
// (40 ms → 4 ms on a new cluster).
const REACHABLE = `
WITH candidates AS MATERIALIZED (SELECT p.oid, p.proowner, p.proacl, l.lanname ${UNTRUSTED})
SELECT c.oid::regprocedure::text AS name, c.lanname AS language
  FROM candidates c
 WHERE NOT (SELECT rolsuper FROM pg_roles WHERE oid = c.proowner)
    OR EXISTS (SELECT 1 FROM aclexplode(coalesce(c.proacl, acldefault('f', c.proowner))) a LEFT JOIN pg_roles r ON r.oid = a.grantee
                WHERE NOT coalesce(r.rolsuper, false))
 ORDER BY 1`;

export interface UntrustedFunction {
  name: string;
  language: string;
}

/** Untrusted-language functions of the connected database a non-superuser owns or may execute (read only). */
export async function reachableUntrustedFunctions(c: pg.Client): Promise<UntrustedFunction[]> {
  return (await c.query<UntrustedFunction>(REACHABLE)).rows;
}

/** Keep every untrusted-language function of the connected database from its non-superuser roles. */
export async function lockUntrustedFunctions(c: pg.Client, fail: (message: string) => Error): Promise<UntrustedFunction[]> {
  const reachable = await reachableUntrustedFunctions(c);
  if (reachable.length === 0) return [];
  const owners = await c.query<{ stmt: string }>(
    `SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, current_user) AS stmt ${UNTRUSTED}
       AND NOT (SELECT rolsuper FROM pg_roles WHERE oid = p.proowner)`,
  );
  for (const { stmt } of owners.rows) await c.query(stmt);
  const grants = await c.query<{ stmt: string }>(
    `SELECT format('REVOKE ALL ON ROUTINE %s FROM %s', p.oid::regprocedure, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END) AS stmt
     ${UNTRUSTED.replace("FROM pg_proc p", "FROM pg_proc p CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a LEFT JOIN pg_roles r ON r.oid = a.grantee")}
       AND NOT coalesce(r.rolsuper, false)`,
  );
  for (const { stmt } of grants.rows) await c.query(stmt);
  const left = await reachableUntrustedFunctions(c);
  if (left.length > 0)
    throw fail(
      `Function(s) ${left
        .slice(0, 3)
        .map((f) => f.name)
        .join(", ")} in an untrusted language are still reachable by a non-superuser.`,
    );
  return reachable;
}
