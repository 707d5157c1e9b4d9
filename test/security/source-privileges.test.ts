// A data directory whose catalogs reach past the image: file-reading functions granted to PUBLIC,
// pg_authid (and its password column) to an owner role a clone's login joins, SET on a
// superuser-only parameter, an extension function its script keeps from PUBLIC, a source role that
// takes a name dbclone reserves, a C function and an internal alias of a built-in, a user mapping's
// password, file_fdw programs and files, a subscription to a publisher, and ALTER DATABASE/ROLE … SET
// of preload libraries and statement logging. The build takes each back, so a clone's login gets
// none of it and no copy of a secret is published; the source's own ordinary grants stay.
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresEngine } from "../../packages/core/src/engine/postgres/index.js";
import { grantCloneLoginGroup } from "../../packages/core/src/engine/postgres/login-group.js";
import type { Reporter } from "../../packages/core/src/reporter.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { run } from "../../packages/core/src/runtime/exec.js";
import { Tracker, freePort } from "../integration/engine/fixtures.js";
import { adminQuery, sourceDataDir } from "./fixtures.js";

const engine = new PostgresEngine();
const t = new Tracker();
afterAll(() => t.cleanup(), 60_000);

const FDW_SECRET = "fdw-secret-pw-7731";
const SUB_SECRET = "subscription-secret-pw-4410";
const PROGRAM_MARKER = path.join(tmpdir(), `dbclone-fdw-program-ran-${process.pid}`);
const HOSTILE_GRANTS = `
  CREATE EXTENSION dblink;
  CREATE ROLE app_owner LOGIN PASSWORD 'app-owner-secret';
  CREATE TABLE notes (id int, body text);
  ALTER TABLE notes OWNER TO app_owner;
  INSERT INTO notes VALUES (1, 'kept');
  CREATE ROLE reader NOLOGIN;
  GRANT SELECT ON notes TO reader;
  GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text) TO PUBLIC;
  GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text) TO app_owner;
  GRANT SELECT ON pg_catalog.pg_authid TO app_owner;
  GRANT SELECT (rolpassword) ON pg_catalog.pg_authid TO PUBLIC;
  GRANT SET ON PARAMETER log_statement TO PUBLIC;
  GRANT EXECUTE ON FUNCTION dblink_connect_u(text) TO PUBLIC;
  CREATE ROLE dbclone_owner SUPERUSER LOGIN;
  GRANT pg_read_server_files TO dbclone_owner;
  CREATE EXTENSION postgres_fdw;
  CREATE SERVER prod FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', dbname 'prod', passfile '/root/.pgpass');
  CREATE USER MAPPING FOR PUBLIC SERVER prod OPTIONS (user 'postgres', password '${FDW_SECRET}', password_required 'false');
  CREATE FOREIGN TABLE prod_orders (id int) SERVER prod;
  CREATE EXTENSION file_fdw;
  CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
  CREATE FOREIGN TABLE runs (line text) SERVER files OPTIONS (program 'touch ${PROGRAM_MARKER}');
  CREATE FOREIGN TABLE reads (line text) SERVER files OPTIONS (filename '/etc/hostname');
  ALTER DATABASE postgres SET session_preload_libraries = 'base/dbclone_planted_library';
  ALTER ROLE ALL SET log_statement = 'all';
  ALTER ROLE reader IN DATABASE postgres SET debug_print_parse = on;
  ALTER DATABASE postgres SET work_mem = '8MB';
  CREATE FUNCTION public.planted_library(text) RETURNS text LANGUAGE c STRICT AS '$libdir/dblink', 'dblink_connect';
  CREATE FUNCTION public.read_any_file(text) RETURNS bytea LANGUAGE internal STRICT AS 'pg_read_binary_file_all';
  ALTER FUNCTION public.read_any_file(text) OWNER TO app_owner;
  CREATE PUBLICATION everything FOR ALL TABLES;
  CREATE SUBSCRIPTION from_prod CONNECTION 'host=127.0.0.1 port=1 dbname=prod password=${SUB_SECRET}' PUBLICATION p WITH (connect = false);
`;

function recordingReporter(): Reporter & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentReporter, warn: (m: string) => void warnings.push(m), warnings };
}

/** What `sql` gives as the clone login, or the error's SQLSTATE. */
async function asLogin(connectionString: string, sql: string): Promise<unknown> {
  const c = new pg.Client({ connectionString });
  await c.connect();
  try {
    return (await c.query(sql)).rows[0];
  } catch (e) {
    return (e as { code?: string }).code;
  } finally {
    await c.end();
  }
}

describe("a data directory whose catalogs grant more than PostgreSQL's defaults", { timeout: 240_000 }, () => {
  let mount: string;
  let reporter: ReturnType<typeof recordingReporter>;
  beforeAll(async () => {
    mount = t.mount();
    reporter = recordingReporter();
    await engine.restore([{ kind: "datadir", path: await sourceDataDir(t, HOSTILE_GRANTS) }], mount, reporter);
  });

  it("takes back every widened grant and the reserved role's powers, so a clone's login has none of them", async () => {
    const server = await engine.start(mount, { port: await freePort(), runDir: path.join(mount, "run") }, silentReporter);
    t.pids.add(server.pid);
    try {
      const creds = await engine.createLogin(server, ["postgres"], { user: "clone_login", password: "pw-123" });
      const denied = "42501"; // insufficient_privilege
      expect(await asLogin(creds.connectionString, "SELECT length(pg_read_binary_file('PG_VERSION')) AS n")).toBe(denied);
      expect(await asLogin(creds.connectionString, "SELECT count(*) FROM pg_ls_dir('.')")).toBe(denied);
      expect(await asLogin(creds.connectionString, "SELECT count(*) FROM pg_authid")).toBe(denied);
      expect(await asLogin(creds.connectionString, "SELECT count(rolpassword) FROM pg_authid")).toBe(denied);
      expect(await asLogin(creds.connectionString, "SET log_statement = 'none'")).toBe(denied);
      expect(await asLogin(creds.connectionString, "SELECT dblink_connect_u('dbname=postgres')")).toBe(denied);
      // Untrusted-language functions the source made outside any extension (a C function, an internal alias).
      expect(await asLogin(creds.connectionString, "SELECT planted_library('dbname=postgres')")).toBe(denied);
      expect(await asLogin(creds.connectionString, "SELECT length(read_any_file('PG_VERSION')) AS n")).toBe(denied);
      // The source's own objects and ordinary grants are untouched; the login still owns its tables.
      expect(await asLogin(creds.connectionString, "SELECT body FROM notes")).toEqual({ body: "kept" });
      // Foreign tables keep their definitions but reach nothing outside the image.
      expect(await asLogin(creds.connectionString, "SELECT count(*)::int AS n FROM runs")).toEqual({ n: 0 });
      expect(await asLogin(creds.connectionString, "SELECT count(*)::int AS n FROM reads")).toEqual({ n: 0 });
      expect(existsSync(PROGRAM_MARKER)).toBe(false);
      const options = await adminQuery<{ o: string[] | null }>(
        server,
        "postgres",
        "SELECT umoptions AS o FROM pg_user_mapping UNION ALL SELECT srvoptions FROM pg_foreign_server UNION ALL SELECT ftoptions FROM pg_foreign_table",
      );
      const flat = options.flatMap((r) => r.o ?? []).sort();
      expect(flat).toEqual(["dbname=prod", "filename=/dev/null", "filename=/dev/null", "host=127.0.0.1", "user=postgres"]);

      const owner = await adminQuery<Record<string, boolean | number>>(
        server,
        "postgres",
        `SELECT rolsuper, rolcanlogin, (SELECT count(*)::int FROM pg_auth_members WHERE member = r.oid) AS memberships
           FROM pg_roles r WHERE rolname = 'dbclone_owner'`,
      );
      expect(owner).toEqual([{ rolsuper: false, rolcanlogin: false, memberships: 0 }]);
      const carried = await adminQuery<{ c: string[] }>(server, "postgres", "SELECT setconfig AS c FROM pg_db_role_setting");
      expect(carried.flatMap((r) => r.c)).toEqual(["work_mem=8MB"]); // an ordinary setting stays
      expect(await adminQuery(server, "postgres", "SELECT subname FROM pg_subscription")).toEqual([]);
      expect(await adminQuery(server, "postgres", "SELECT pubname FROM pg_publication")).toEqual([{ pubname: "everything" }]);
      expect(await adminQuery(server, "postgres", "SELECT current_setting('max_logical_replication_workers') AS w")).toEqual([{ w: "0" }]);
      const reader = await adminQuery<{ ok: boolean }>(server, "postgres", "SELECT has_table_privilege('reader', 'notes', 'SELECT') AS ok");
      expect(reader).toEqual([{ ok: true }]);
    } finally {
      await engine.stop(server);
      t.pids.delete(server.pid);
    }
  });

  it("says what it took back, naming objects and grantees, never a value", () => {
    const said = reporter.warnings.join("\n");
    expect(said).toMatch(/dbclone_owner, which dbclone reserves/);
    expect(said).toMatch(/Database postgres: took back 6 privilege\(s\)/);
    expect(said).toMatch(/EXECUTE on function pg_read_binary_file\(text\) to PUBLIC/);
    expect(said).toMatch(/took password, password_required out of user mapping for PUBLIC on server prod/);
    expect(said).toMatch(/took passfile out of server prod/);
    expect(said).toMatch(/took program out of foreign table public\.runs/);
    expect(said).not.toContain(FDW_SECRET);
    expect(said).not.toContain(SUB_SECRET);
    expect(said).toMatch(/2 function\(s\) in an untrusted language.*public\.planted_library\(text\) \(c\), public\.read_any_file\(text\) \(internal\)/);
    expect(said).toMatch(/dropped logical subscription\(s\) from_prod/);
    expect(said).toMatch(/Reset 3 ALTER ROLE\/DATABASE … SET setting\(s\)/);
    expect(said).toMatch(/session_preload_libraries \(database postgres\)/);
  });

  it("leaves no copy of the user mapping's password or a role's verifier in the image an unmasked build publishes", async () => {
    // Its own build: the other tests' clone logins have passwords of their own.
    const built = t.mount();
    await engine.restore([{ kind: "datadir", path: await sourceDataDir(t, HOSTILE_GRANTS) }], built, silentReporter);
    const server = await engine.start(built, { port: await freePort(), runDir: path.join(built, "run") }, silentReporter);
    t.pids.add(server.pid);
    await engine.scrub(server, silentReporter, { full: false }); // an unmasked build's scrub; stops the server
    t.pids.delete(server.pid);
    const fresh = t.mount();
    await engine.copyFresh(built, fresh, silentReporter);
    for (const needle of [FDW_SECRET, SUB_SECRET, "SCRAM-SHA-256$"]) {
      const hits = await run("grep", ["-rlaF", needle, path.join(fresh, "pgdata")], { allowFailure: true });
      expect({ needle, files: hits.stdout.trim() }).toEqual({ needle, files: "" });
    }
  });

  it("leaves a cluster with PostgreSQL's default grants as it is, and keeps an extension's restricted functions from a clone's login", async () => {
    const clean = t.mount();
    const quiet = recordingReporter();
    await engine.restore([{ kind: "datadir", path: await sourceDataDir(t, "CREATE EXTENSION dblink; CREATE TABLE t (x int)") }], clean, quiet);
    expect(quiet.warnings.filter((w) => /took back|reserves/.test(w))).toEqual([]);

    const server = await engine.start(clean, { port: await freePort(), runDir: path.join(clean, "run") }, silentReporter);
    t.pids.add(server.pid);
    try {
      const creds = await engine.createLogin(server, ["postgres"], { user: "clone_login", password: "pw-123" });
      // dblink_connect_u needs no password: granted, it reaches the server's own socket as its superuser.
      const viaSocket = `host=${server.socketDir} port=${server.port} user=${server.adminUser} dbname=postgres`;
      expect(await asLogin(creds.connectionString, `SELECT dblink_connect_u('x', '${viaSocket}')`)).toBe("42501");
      // What dblink gives PUBLIC stays the login's.
      expect(await asLogin(creds.connectionString, "SELECT dblink_get_connections() AS c")).toEqual({ c: null });
      expect(await asLogin(creds.connectionString, "INSERT INTO t VALUES (1) RETURNING x")).toEqual({ x: 1 });
      // The same through the clones' login group a build makes (one CREATE ROLE … IN ROLE).
      await grantCloneLoginGroup(server);
      const grouped = await engine.createLogin(server, ["postgres"], { user: "clone_login_2", password: "pw-456" });
      const member = await adminQuery<{ m: boolean }>(server, "postgres", "SELECT pg_has_role('clone_login_2', 'dbclone_clones', 'MEMBER') AS m");
      expect(member).toEqual([{ m: true }]);
      expect(await asLogin(grouped.connectionString, `SELECT dblink_connect_u('x', '${viaSocket}')`)).toBe("42501");
      expect(await asLogin(grouped.connectionString, "INSERT INTO t VALUES (2) RETURNING x")).toEqual({ x: 2 });
    } finally {
      await engine.stop(server);
      t.pids.delete(server.pid);
    }
  });
});
