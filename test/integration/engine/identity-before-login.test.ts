// A new clone's login is handed out only once its server proved, without any credential sent to
// host:port, that it is this clone of this image (before the login is made) and that it is what
// answers there (createVerifiedLogin): a foreign process on the port gets nothing but cancel requests.
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresEngine, grantCloneLoginGroup } from "../../../packages/core/src/engine/postgres/index.js";
import type { RunningServer } from "../../../packages/core/src/engine/types.js";
import { CloneError } from "../../../packages/core/src/errors.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { Tracker, freePort } from "./fixtures.js";

const engine = new PostgresEngine();
const t = new Tracker();
const identity = { cloneId: "c-proof1", imageDigest: "sha256:cccc" };
let server: RunningServer;

beforeAll(async () => {
  const dumps = t.mount("dbclone-proof-dumps-");
  writeFileSync(path.join(dumps, "notes.sql"), "--\n-- PostgreSQL database dump\n--\nCREATE TABLE notes (id serial PRIMARY KEY, body text);\n");
  const mount = t.mount();
  await engine.restore([{ kind: "dump", path: path.join(dumps, "notes.sql") }], mount, silentReporter);
  // It listens on 127.0.0.2 only, so a test can put a foreign listener on 127.0.0.1 at the same port
  // while the clone's own server still answers on its private socket.
  server = await engine.start(mount, { port: await freePort(), host: "127.0.0.2", runDir: path.join(mount, "run"), ...identity }, silentReporter);
  t.pids.add(server.pid);
}, 120_000);

afterAll(() => t.cleanup(), 60_000);

async function roleExists(user: string): Promise<boolean> {
  const c = new pg.Client({ host: server.socketDir, port: server.port, user: server.adminUser, database: "postgres" });
  await c.connect();
  try {
    return ((await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [user])).rowCount ?? 0) > 0;
  } finally {
    await c.end();
  }
}

async function adminSql(sql: string, database = "postgres"): Promise<void> {
  const c = new pg.Client({ host: server.socketDir, port: server.port, user: server.adminUser, database });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A TCP listener on 127.0.0.1:`port` that keeps every byte it is sent. */
async function foreignListener(port: number): Promise<{ received: () => Buffer; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on("data", (d) => chunks.push(d));
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => srv.once("error", reject).listen(port, "127.0.0.1", resolve));
  return {
    received: () => Buffer.concat(chunks),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

describe("createVerifiedLogin", { timeout: 60_000 }, () => {
  it("makes a working login once the server proved itself on host:port", async () => {
    const creds = await engine.createVerifiedLogin({ ...server }, ["notes"], { user: "clone_ok", password: "pw-ok-0123456789" }, identity);
    const c = new pg.Client({ host: "127.0.0.2", port: server.port, user: creds.user, password: creds.password, database: "notes" });
    await c.connect();
    try {
      expect((await c.query("SELECT current_setting('dbclone.clone_id') AS id")).rows[0].id).toBe(identity.cloneId);
      await c.query("INSERT INTO notes (body) VALUES ('x')"); // granted; and no cancel left over from the proof hit a statement
    } finally {
      await c.end();
    }
  });

  it("refuses a server that reports another clone or image, and makes no login", async () => {
    for (const wrong of [
      { ...identity, cloneId: "c-other" },
      { ...identity, imageDigest: "sha256:dddd" },
    ]) {
      await expect(engine.createVerifiedLogin({ ...server }, ["notes"], { user: "clone_wrongid", password: "pw-1234567890" }, wrong)).rejects.toThrow(
        new RegExp(`server on port ${server.port} is not clone ${wrong.cloneId} of image ${wrong.imageDigest}`),
      );
    }
    expect(await roleExists("clone_wrongid")).toBe(false);
  });

  it("refuses when host:port is another process's, which receives cancel requests only, never the login", async () => {
    const foreign = await foreignListener(server.port);
    try {
      const attempt = engine.createVerifiedLogin({ ...server, host: "127.0.0.1" }, ["notes"], { user: "clone_hijacked", password: "pw-secret-4242" }, identity);
      await expect(attempt).rejects.toThrow(CloneError);
      await expect(attempt).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${server.port} does not reach the clone's server`));
      const bytes = foreign.received();
      expect(bytes.length).toBeGreaterThan(0);
      expect(bytes.length % 16).toBe(0);
      for (let i = 0; i < bytes.length; i += 16) {
        expect([bytes.readInt32BE(i), bytes.readInt32BE(i + 4)]).toEqual([16, 80877102]); // CancelRequest
      }
      expect(bytes.includes("clone_hijacked")).toBe(false);
      expect(bytes.includes("pw-secret-4242")).toBe(false);
    } finally {
      await foreign.close();
    }
  });

  it("is not fooled by a statement_timeout the image or the caller's PGOPTIONS sets: nothing on the port is still refused", async () => {
    await adminSql(`ALTER ROLE ${server.adminUser} SET statement_timeout = '100ms'`);
    const saved = process.env.PGOPTIONS;
    try {
      for (const pgoptions of [undefined, "-c statement_timeout=150"]) {
        if (pgoptions === undefined) delete process.env.PGOPTIONS;
        else process.env.PGOPTIONS = pgoptions;
        // The clone's server listens on 127.0.0.2 only: nothing answers on 127.0.0.1 at its port.
        const attempt = engine.createVerifiedLogin({ ...server, host: "127.0.0.1" }, ["notes"], { user: "clone_timeout", password: "pw-0123456789" }, identity);
        await expect(attempt).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${server.port} does not reach the clone's server`));
      }
    } finally {
      if (saved === undefined) delete process.env.PGOPTIONS;
      else process.env.PGOPTIONS = saved;
      await adminSql(`ALTER ROLE ${server.adminUser} RESET statement_timeout`);
    }
  });

  it("makes the login with the catalog's functions, not look-alikes the image defines (no superuser login)", async () => {
    // An exact argument match would pick public.format over pg_catalog's variadic one, whatever the path.
    await adminSql(
      "CREATE FUNCTION public.format(text, text, text) RETURNS text LANGUAGE sql AS $$ SELECT 'ALTER ROLE ' || pg_catalog.quote_ident($3) || ' SUPERUSER' $$",
      "notes",
    );
    try {
      await engine.createVerifiedLogin({ ...server }, ["notes"], { user: "clone_lookalike", password: "pw-0123456789" }, identity);
      const c = new pg.Client({ host: server.socketDir, port: server.port, user: server.adminUser, database: "postgres" });
      await c.connect();
      try {
        expect((await c.query("SELECT rolsuper FROM pg_roles WHERE rolname = 'clone_lookalike'")).rows).toEqual([{ rolsuper: false }]);
      } finally {
        await c.end();
      }
    } finally {
      await adminSql("DROP FUNCTION public.format(text, text, text)", "notes");
    }
  });

  it("does not make the login a member of an owner role that is itself a member of a superuser or server-program role", async () => {
    for (const [boss, attrs] of [
      ["boss_super", "SUPERUSER"],
      ["pg_execute_server_program", ""],
    ] as const) {
      if (attrs) await adminSql(`CREATE ROLE ${boss} ${attrs}`);
      await adminSql(`CREATE ROLE owner_via_${boss.slice(0, 10)} NOLOGIN IN ROLE ${boss}`);
      await adminSql(
        `CREATE TABLE owned_by_${boss.slice(0, 10)} (id int); ALTER TABLE owned_by_${boss.slice(0, 10)} OWNER TO owner_via_${boss.slice(0, 10)}`,
        "notes",
      );
    }
    await adminSql("CREATE ROLE plain_owner NOLOGIN");
    await adminSql("CREATE TABLE owned_plainly (id int); ALTER TABLE owned_plainly OWNER TO plain_owner", "notes");
    await engine.createVerifiedLogin({ ...server }, ["notes"], { user: "clone_members", password: "pw-0123456789" }, identity);
    const c = new pg.Client({ host: server.socketDir, port: server.port, user: server.adminUser, database: "notes" });
    await c.connect();
    try {
      const member = async (role: string) => (await c.query<{ m: boolean }>("SELECT pg_has_role('clone_members', $1, 'MEMBER') AS m", [role])).rows[0]!.m;
      expect([await member("boss_super"), await member("pg_execute_server_program"), await member("plain_owner")]).toEqual([false, false, true]);
    } finally {
      await c.end();
    }
  });

  it("refuses, naming the port, when no server answers on the clone's private socket for that port", async () => {
    const port = await freePort();
    await expect(
      engine.createVerifiedLogin({ ...server, host: "127.0.0.1", port }, ["notes"], { user: "clone_nobody", password: "pw-0000000000" }, identity),
    ).rejects.toThrow(new RegExp(`Could not prove that the server on port ${port} is clone ${identity.cloneId}: .*Recreate the clone`));
    expect(await roleExists("clone_nobody")).toBe(false);
  });

  // Last: the group changes how every later login is made.
  it("with the clones' login group, proves the identity and makes the login in two statements, then proves the port in one", async () => {
    await grantCloneLoginGroup(server);
    const sent: string[] = [];
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const q = args[0] as string | { text?: string };
      sent.push(typeof q === "string" ? q : (q.text ?? ""));
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    try {
      await engine.createVerifiedLogin({ ...server }, ["notes"], { user: "clone_grouped", password: "pw-group-0123456789" }, identity);
    } finally {
      pg.Client.prototype.query = query;
    }
    const proof = sent.findIndex((q) => /statement_timeout|pg_sleep/.test(q));
    // The catalog-only session's startup options hold statement_timeout at 0: the sleep is all the proof sends.
    expect(sent.slice(proof)).toEqual([expect.stringMatching(/^SELECT pg_catalog\.pg_sleep/)]);
    // The identity and the server-formatted join in one round trip; the join commits without a WAL flush wait.
    expect(sent.slice(0, proof)).toEqual([
      expect.stringMatching(/current_setting\('dbclone\.clone_id'.*FROM pg_authid g/s),
      expect.stringMatching(/^SET LOCAL synchronous_commit = off;\nCREATE ROLE clone_grouped LOGIN/),
    ]);
    const c = new pg.Client({ host: server.socketDir, port: server.port, user: server.adminUser, database: "notes" });
    await c.connect();
    try {
      expect((await c.query("SELECT pg_has_role('clone_grouped', 'dbclone_clones', 'MEMBER') AS m")).rows[0].m).toBe(true);
    } finally {
      await c.end();
    }
  });
});
