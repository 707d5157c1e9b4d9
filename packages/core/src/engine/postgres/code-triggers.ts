// Code a copied cluster runs by itself, whoever may EXECUTE it: PostgreSQL checks no EXECUTE
// privilege when a trigger or an event trigger fires. An event trigger (only a superuser makes one)
// fires on the DDL of every session, dbclone's own admin statements included (a promote's grants,
// an older image's login grants), and runs its function as that session's user: a superuser. A
// trigger whose function is in an untrusted language runs outside the sandbox for whoever writes
// the table, though the build took EXECUTE on it from everyone (untrusted-functions.ts); one whose
// function is a superuser's SECURITY DEFINER runs as that superuser for a clone's login. The build
// disables event triggers (only a superuser may enable one again) and drops untrusted-language
// triggers (a disabled one, a table owner such as a clone's login could enable); a superuser's
// SECURITY DEFINER function is handed to the owner role later (ownership.ts), except in the system
// schemas, which the hand-over skips: triggers calling those are dropped too. A clone refuses an
// image still holding any.
import type pg from "pg";

// initdb's own objects (tsvector_update_trigger and the like); a function made later is judged
// wherever it lives, pg_catalog included (a superuser may create functions there).
const FIRST_NORMAL_OID = 16384;
const IN_EXTENSION = (cls: string, oid: string) =>
  `EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${cls}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;

// One row per such trigger (event triggers: enabled ones): what it is (named, never a value) and how the build takes it out.
const CODE_TRIGGERS = (forCheck: boolean) => `
SELECT format('event trigger %I (on %s, calls %s)', e.evtname, e.evtevent, e.evtfoid::regprocedure) AS what,
       format('ALTER EVENT TRIGGER %I DISABLE', e.evtname) AS stmt, 0 AS kind
  FROM pg_event_trigger e
 WHERE e.evtenabled <> 'D' AND NOT ${IN_EXTENSION("pg_event_trigger", "e.oid")}
UNION ALL
SELECT format('trigger %I on %s calls %s (%s)', t.tgname, t.tgrelid::regclass, p.oid::regprocedure,
              CASE WHEN NOT l.lanpltrusted THEN format('untrusted language %s', l.lanname)
                   ELSE format('SECURITY DEFINER, owned by superuser %I', o.rolname) END) AS what,
       format('DROP TRIGGER %I ON %s', t.tgname, t.tgrelid::regclass) AS stmt, 1 AS kind
  FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_language l ON l.oid = p.prolang
  JOIN pg_roles o ON o.oid = p.proowner
 WHERE NOT t.tgisinternal AND p.oid >= ${FIRST_NORMAL_OID} -- disabled ones too: a table's owner may enable a trigger
   AND NOT ${IN_EXTENSION("pg_proc", "p.oid")}
   AND (NOT l.lanpltrusted OR (p.prosecdef AND o.rolsuper${forCheck ? "" : " AND p.pronamespace::regnamespace::text IN ('pg_catalog', 'information_schema')"}))${forCheck ? "" : " AND t.tgparentid = 0 -- a partition's copy goes with its parent's"}
 ORDER BY kind, what`;

export interface CodeTrigger {
  what: string;
  stmt: string;
}

/** Triggers of the connected database that run code no grant keeps from a clone (read only; the clone-time check). */
export async function codeTriggers(c: pg.Client): Promise<CodeTrigger[]> {
  return (await c.query<CodeTrigger>(CODE_TRIGGERS(true))).rows;
}

/**
 * Disable the event triggers and drop the untrusted-language triggers of the connected database
 * (the build, before any DDL of its own there: an event trigger would fire on it); checked gone.
 * Returns what was taken out, for the build log.
 */
export async function disableCodeTriggers(c: pg.Client, fail: (message: string) => Error): Promise<string[]> {
  const found = (await c.query<CodeTrigger>(CODE_TRIGGERS(false))).rows;
  for (const { stmt } of found) await c.query(stmt);
  const left = (await c.query<CodeTrigger>(CODE_TRIGGERS(false))).rows;
  if (left.length > 0)
    throw fail(
      `Trigger(s) still there after they were taken out: ${left
        .slice(0, 3)
        .map((t) => t.what)
        .join("; ")}.`,
    );
  return found.map((t) => t.what);
}
