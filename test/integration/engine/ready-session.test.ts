// The admin session that answered a clone server's readiness query is kept for the clone's login
// (one backend fewer per clone): it is catalog-only, in the database asked for, taken once, and
// ended when the server stops without a login having taken it.
import { writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresEngine } from "../../../packages/core/src/engine/postgres/index.js";
import { takeReadySession } from "../../../packages/core/src/engine/postgres/ready-session.js";
import type { RunningServer } from "../../../packages/core/src/engine/types.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { Tracker, freePort } from "./fixtures.js";

const engine = new PostgresEngine();
const t = new Tracker();
const identity = { cloneId: "c-ready1", imageDigest: "sha256:dddd" };
let mount: string;

beforeAll(async () => {
  const dumps = t.mount("dbclone-ready-dumps-");
  writeFileSync(path.join(dumps, "notes.sql"), "--\n-- PostgreSQL database dump\n--\nCREATE TABLE notes (id serial PRIMARY KEY, body text);\n");
  mount = t.mount();
  await engine.restore([{ kind: "dump", path: path.join(dumps, "notes.sql") }], mount, silentReporter);
}, 120_000);

afterAll(() => t.cleanup(), 60_000);

async function start(readyDatabase?: string): Promise<RunningServer> {
  const server = await engine.start(mount, { port: await freePort(), runDir: path.join(mount, "run"), ...identity, readyDatabase }, silentReporter);
  t.pids.add(server.pid);
  return server;
}

async function stop(server: RunningServer): Promise<void> {
  await engine.stop(server, { fast: true });
  t.pids.delete(server.pid);
}

/** Backends of client sessions the server has (ours over the socket included). */
async function clientBackends(server: RunningServer): Promise<number> {
  const c = new pg.Client({ host: server.socketDir, port: server.port, user: server.adminUser, database: "postgres" });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
    return Number(r.rows[0]!.n);
  } finally {
    await c.end();
  }
}

describe("the readiness query's session", () => {
  it("is parked in the database asked for, catalog-only, and taken once", async () => {
    const server = await start("notes");
    try {
      expect(await clientBackends(server)).toBe(1);
      const session = takeReadySession(server, "notes");
      expect(session).toBeDefined();
      try {
        const r = await session!.query<{ db: string; path: string; timeout: string }>(
          "SELECT current_database() AS db, current_setting('search_path') AS path, current_setting('statement_timeout') AS timeout",
        );
        expect(r.rows[0]).toEqual({ db: "notes", path: "pg_catalog", timeout: "0" });
      } finally {
        await session!.end();
      }
      expect(takeReadySession(server, "notes")).toBeUndefined();
    } finally {
      await stop(server);
    }
  });

  it("is not kept without readyDatabase, and one for another database is ended, not handed out", async () => {
    const plain = await start();
    try {
      expect(await clientBackends(plain)).toBe(0);
      expect(takeReadySession(plain, "notes")).toBeUndefined();
    } finally {
      await stop(plain);
    }
    const server = await start("notes");
    try {
      expect(takeReadySession(server, "postgres")).toBeUndefined();
      await expect.poll(() => clientBackends(server), { timeout: 5000 }).toBe(0);
    } finally {
      await stop(server);
    }
  });

  it("is what the login runs on: no backend is left, and the login works over TCP", async () => {
    const server = await start("notes");
    try {
      const creds = await engine.createVerifiedLogin(server, ["notes"], { user: "clone_ready1", password: "pw-ready-1" }, identity);
      expect(takeReadySession(server, "notes")).toBeUndefined();
      await expect.poll(() => clientBackends(server), { timeout: 5000 }).toBe(0);
      const c = new pg.Client({ host: creds.host, port: creds.port, user: creds.user, password: creds.password, database: "notes" });
      await c.connect();
      try {
        await c.query("INSERT INTO notes (body) VALUES ('x')");
      } finally {
        await c.end();
      }
    } finally {
      await stop(server);
    }
  });

  it("is ended when the server stops without a login having taken it", async () => {
    const server = await start("notes");
    expect(await clientBackends(server)).toBe(1);
    await stop(server);
    expect(takeReadySession(server, "notes")).toBeUndefined();
  });
});
