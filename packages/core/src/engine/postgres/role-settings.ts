// `ALTER DATABASE … SET` and `ALTER ROLE … SET` outrank the command line: a copied cluster's
// `session_preload_libraries = 'base/x'` (a library shipped inside its own data directory, loaded by
// every session a clone's login opens), `dynamic_library_path`, `log_statement = 'all'` or
// `debug_print_parse` (values into the server log) would undo the hardened settings every server
// starts with (config.ts). At build these are reset; a clone refuses an image that still has one
// (image-check.ts).
import type pg from "pg";
import { HARDENED_SETTINGS } from "./config.js";

/** SQL predicate on a setting name (`name`): the ones a copied catalog may not carry. */
const OVERRIDE = `(name = ANY($1::text[]) OR name LIKE 'log\\_%' OR name LIKE 'debug\\_%' OR name LIKE 'trace\\_%')`;
const PARAMS = [Object.keys(HARDENED_SETTINGS)];

// One row per carried setting: where it applies and its name (never its value).
const CARRIED = `
SELECT s.setrole, s.setdatabase, r.rolname, d.datname, name
  FROM pg_db_role_setting s
  LEFT JOIN pg_roles r ON r.oid = s.setrole
  LEFT JOIN pg_database d ON d.oid = s.setdatabase
  CROSS JOIN LATERAL (SELECT split_part(c, '=', 1) AS name FROM unnest(s.setconfig) c) n
 WHERE ${OVERRIDE}
 ORDER BY d.datname NULLS FIRST, r.rolname NULLS FIRST, name`;

export interface CarriedSetting {
  rolname: string | null;
  datname: string | null;
  name: string;
}

export const describeSetting = (s: CarriedSetting) =>
  `${s.name} (${[s.rolname ? `role ${s.rolname}` : "", s.datname ? `database ${s.datname}` : ""].filter(Boolean).join(", ") || "every role"})`;

/** The carried settings (cluster-wide: pg_db_role_setting is shared). */
export async function carriedSettings(c: pg.Client): Promise<CarriedSetting[]> {
  return (await c.query<CarriedSetting>(CARRIED, PARAMS)).rows;
}

/** Reset every carried setting (a superuser session); `fail(message)` when one is still there. */
export async function resetCarriedSettings(c: pg.Client, fail: (message: string) => Error): Promise<CarriedSetting[]> {
  const stmts = await c.query<{ stmt: string }>(
    `SELECT format('ALTER ROLE %s%s RESET %I',
                   CASE WHEN setrole = 0 THEN 'ALL' ELSE quote_ident(rolname) END,
                   CASE WHEN setdatabase = 0 THEN '' ELSE format(' IN DATABASE %I', datname) END, name) AS stmt
       FROM (${CARRIED}) carried`,
    PARAMS,
  );
  const carried = await carriedSettings(c);
  for (const { stmt } of stmts.rows) await c.query(stmt);
  const left = await carriedSettings(c);
  if (left.length > 0)
    throw fail(`The source sets ${left.slice(0, 3).map(describeSetting).join("; ")} with ALTER ROLE/DATABASE … SET, and it could not be reset.`);
  return carried;
}
