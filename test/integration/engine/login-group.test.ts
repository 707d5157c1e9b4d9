// The clones' login group (engine/postgres/login-group.ts): a clone's login made as its member, in
// one statement, may do exactly what a login granted everything itself (the way before the group,
// and still the way for images without it) may do; a group that is not harmless is never joined.
import { writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresEngine, createSampleDump, grantCloneLoginGroup, withAdmin } from "../../../packages/core/src/engine/postgres/index.js";
import { CLONE_LOGIN_GROUP } from "../../../packages/core/src/engine/postgres/login-group.js";
import type { RunningServer } from "../../../packages/core/src/engine/types.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { Tracker, freePort } from "./fixtures.js";

const engine = new PostgresEngine();
const t = new Tracker();
let server: RunningServer;
const DATABASES = ["shop", "notes"];

beforeAll(async () => {
  const dumps = t.mount("dbclone-dumps-");
  await createSampleDump(path.join(dumps, "shop.dump"), { sizeMb: 2, seed: 3 });
  writeFileSync(
    path.join(dumps, "notes.sql"),
    `--
-- PostgreSQL database dump
--
CREATE SCHEMA audit;
CREATE TABLE audit.log (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);
CREATE VIEW note_bodies AS SELECT body FROM notes;
CREATE FUNCTION audit.touch() RETURNS int LANGUAGE sql AS 'SELECT 1';
INSERT INTO notes (body) VALUES ('first');
`,
  );
  const mount = t.mount();
  await engine.restore(
    [
      { kind: "dump", path: path.join(dumps, "shop.dump") },
      { kind: "dump", path: path.join(dumps, "notes.sql") },
    ],
    mount,
    silentReporter,
  );
  server = await engine.start(mount, { port: await freePort(), runDir: path.join(mount, "run") }, silentReporter);
  t.pids.add(server.pid);
}, 180_000);

afterAll(() => t.cleanup(), 60_000);

const admin = <T>(db: string, fn: (c: pg.Client) => Promise<T>) => withAdmin(server, db, fn);

/** Every privilege `user` holds on the objects of `db`, as comparable text (the user's name left out). */
async function privileges(db: string, user: string): Promise<string[]> {
  return admin(db, async (c) => {
    const r = await c.query<{ p: string }>(
      `SELECT format('%s %s %s', kind, name, priv) AS p FROM (
         SELECT 'table' AS kind, c.oid::regclass::text AS name, p AS priv, has_table_privilege($1, c.oid, p) AS ok
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p
          WHERE c.relkind IN ('r','v','m','p','f') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\\_%'
         UNION ALL
         SELECT 'sequence', c.oid::regclass::text, p, has_sequence_privilege($1, c.oid, p)
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, unnest(ARRAY['USAGE','SELECT','UPDATE']) p
          WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog','information_schema')
         UNION ALL
         SELECT 'schema', nspname, p, has_schema_privilege($1, oid, p) FROM pg_namespace, unnest(ARRAY['USAGE','CREATE']) p
          WHERE nspname NOT IN ('pg_catalog','information_schema') AND nspname NOT LIKE 'pg\\_%'
         UNION ALL
         SELECT 'function', p.oid::regprocedure::text, 'EXECUTE', has_function_privilege($1, p.oid, 'EXECUTE')
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog','information_schema')
         UNION ALL
         SELECT 'database', datname, p, has_database_privilege($1, datname, p) FROM pg_database, unnest(ARRAY['CONNECT','CREATE','TEMPORARY']) p
         UNION ALL
         SELECT 'role', r.rolname, m, pg_has_role($1, r.oid, m) FROM pg_roles r, unnest(ARRAY['USAGE','MEMBER']) m
          WHERE r.rolname <> $1 AND r.rolname <> $2 AND r.rolname NOT IN ('direct_login', 'group_login', 'third_login')
         UNION ALL
         SELECT 'attribute', a, '', CASE a WHEN 'super' THEN rolsuper WHEN 'createrole' THEN rolcreaterole WHEN 'createdb' THEN rolcreatedb
                                            WHEN 'replication' THEN rolreplication WHEN 'bypassrls' THEN rolbypassrls ELSE rolcanlogin END
           FROM pg_roles, unnest(ARRAY['super','createrole','createdb','replication','bypassrls','login']) a WHERE rolname = $1
       ) x WHERE ok ORDER BY 1`,
      [user, CLONE_LOGIN_GROUP],
    );
    return r.rows.map((row) => row.p);
  });
}

const isMember = (user: string) =>
  admin("shop", async (c) => (await c.query("SELECT pg_has_role($1, $2, 'MEMBER') AS m", [user, CLONE_LOGIN_GROUP])).rows[0].m as boolean);
const directTableGrants = (user: string) =>
  admin("shop", async (c) => Number((await c.query("SELECT count(*) AS n FROM pg_class WHERE relacl::text LIKE '%' || $1 || '%'", [user])).rows[0].n));

describe("a clone's login and the clones' login group", { timeout: 120_000 }, () => {
  it("without the group (an image built before it), the login is granted everything itself", async () => {
    await engine.createLogin(server, DATABASES, { user: "direct_login", password: "pw-direct" });
    expect(await directTableGrants("direct_login")).toBeGreaterThan(0);
  });

  it("with the group, the login joins it in one statement, holds no grant of its own, and may do exactly what the other may", async () => {
    await grantCloneLoginGroup(server);
    const creds = await engine.createLogin(server, DATABASES, { user: "group_login", password: "pw-group" });
    expect(await isMember("group_login")).toBe(true);
    expect(await directTableGrants("group_login")).toBe(0);
    for (const db of DATABASES) {
      const direct = await privileges(db, "direct_login");
      expect(direct.length, db).toBeGreaterThan(10);
      expect(await privileges(db, "group_login"), db).toEqual(direct);
    }
    // What the admin creates later reaches both (default privileges), and the password works over TCP.
    await admin("notes", (c) => c.query("CREATE TABLE later (id int)"));
    expect(await privileges("notes", "group_login")).toEqual(await privileges("notes", "direct_login"));
    const c = new pg.Client({ host: creds.host, port: creds.port, user: creds.user, password: creds.password, database: "notes" });
    await c.connect();
    try {
      await c.query("INSERT INTO later VALUES (1)");
      await c.query("ALTER TABLE notes ADD COLUMN tag text"); // a migration, through the owner role the group is a member of
      await expect(c.query("CREATE ROLE intruder")).rejects.toThrow(/permission denied/);
    } finally {
      await c.end();
    }
  });

  it("a group that is not harmless through every role it is a member of is not joined: the login is made the long way", async () => {
    await admin("shop", (c) => c.query(`GRANT pg_write_server_files TO ${CLONE_LOGIN_GROUP}`));
    try {
      await engine.createLogin(server, DATABASES, { user: "third_login", password: "pw-third" });
      expect(await isMember("third_login")).toBe(false);
      expect(await directTableGrants("third_login")).toBeGreaterThan(0);
      expect((await privileges("shop", "third_login")).filter((p) => p.includes("pg_write_server_files"))).toEqual([]);
    } finally {
      await admin("shop", (c) => c.query(`REVOKE pg_write_server_files FROM ${CLONE_LOGIN_GROUP}`));
    }
  });
});
