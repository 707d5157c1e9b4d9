// One image through its life: restore two databases, start, login, identity, scrub, copy fresh.
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresEngine, createSampleDump } from "../../../packages/core/src/engine/postgres/index.js";
import type { Credentials, RunningServer } from "../../../packages/core/src/engine/types.js";
import { CloneError } from "../../../packages/core/src/errors.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { Tracker, freePort } from "./fixtures.js";

const engine = new PostgresEngine();
const t = new Tracker();
const MARKER = "residue-marker-7f3a9c";
let staging: string;
let fresh: string;
let server: RunningServer;
let creds: Credentials;

async function start(mount: string, extra: { cloneId?: string; imageDigest?: string; port?: number } = {}): Promise<RunningServer> {
  const s = await engine.start(mount, { port: extra.port ?? (await freePort()), runDir: path.join(mount, "run"), ...extra }, silentReporter);
  t.pids.add(s.pid);
  return s;
}
async function stop(s: RunningServer): Promise<void> {
  await engine.stop(s);
  t.pids.delete(s.pid);
}
async function connect(config: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client(config);
  await c.connect();
  return c;
}

/** Count occurrences of `needle` in every file under `dir`. */
function bytesHits(dir: string, needle: string): number {
  let hits = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (s.isFile() && readFileSync(p).includes(needle)) hits++;
    }
  };
  walk(dir);
  return hits;
}

beforeAll(async () => {
  const dumps = t.mount("dbclone-dumps-");
  await createSampleDump(path.join(dumps, "shop.dump"), { sizeMb: 12, seed: 7 });
  writeFileSync(
    path.join(dumps, "notes.sql"),
    "--\n-- PostgreSQL database dump\n--\nCREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);\nINSERT INTO notes (body) VALUES ('first'), ('second');\n",
  );
  staging = t.mount();
  await engine.restore(
    [
      { kind: "dump", path: path.join(dumps, "shop.dump") },
      { kind: "dump", path: path.join(dumps, "notes.sql") },
    ],
    staging,
    silentReporter,
  );
  server = await start(staging, { cloneId: "clone-1", imageDigest: "sha256:aaaa" });
}, 180_000);

afterAll(() => t.cleanup(), 60_000);

describe("a PostgreSQL image from dumps to a fresh copy", { timeout: 120_000 }, () => {
  it("holds two databases with their tables", async () => {
    const inv = await engine.inventory(server);
    expect(inv.map((d) => d.name)).toEqual(["notes", "shop"]);
    const shop = inv.find((d) => d.name === "shop")!;
    expect(shop.tables.map((x) => x.name)).toEqual(["customers", "order_items", "orders", "products"]);
    const customers = shop.tables.find((x) => x.name === "customers")!;
    expect(customers.rowEstimate).toBeGreaterThan(1000);
    expect(customers.columns.find((c) => c.name === "email")).toEqual({ name: "email", type: "text", nullable: false });
    expect(shop.sizeBytes).toBeGreaterThan(10 * 1048576);
  });

  it("gives a login that reads and writes but is no superuser and cannot create roles", async () => {
    creds = await engine.createLogin(server, ["shop", "notes"], { user: "ci_user", password: "s3cret/p@ss:word" });
    expect(creds.connectionString).toBe(`postgresql://ci_user:s3cret%2Fp%40ss%3Aword@127.0.0.1:${server.port}/shop`);
    const c = await connect({ connectionString: creds.connectionString });
    try {
      expect((await c.query("SELECT count(*)::int AS n FROM customers")).rows[0].n).toBeGreaterThan(1000);
      await c.query("UPDATE customers SET city = 'Nowhere' WHERE id = 1");
      await c.query("INSERT INTO products (id, name, department, price) VALUES (100001, 'Widget', 'Tools', 9.99)");
      await c.query("CREATE TABLE migration_test (id int)"); // migrations may create tables
      expect((await c.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).rows[0].rolsuper).toBe(false);
      await expect(c.query("CREATE ROLE intruder")).rejects.toThrow(/permission denied/);
      await expect(c.query("CREATE DATABASE other")).rejects.toThrow(/permission denied/);
    } finally {
      await c.end();
    }
    const n = await connect({ host: creds.host, port: creds.port, user: creds.user, password: creds.password, database: "notes" });
    try {
      await n.query("INSERT INTO notes (body) VALUES ('third')"); // sequences granted too
    } finally {
      await n.end();
    }
  });

  it("never lets the admin log in over TCP", async () => {
    await expect(connect({ host: "127.0.0.1", port: server.port, user: server.adminUser, database: "shop", password: "x" })).rejects.toThrow(
      /pg_hba.conf rejects connection/,
    );
  });

  it("proves the clone's identity and refuses a wrong one", async () => {
    await engine.verifyIdentity(creds, "clone-1", "sha256:aaaa");
    await expect(engine.verifyIdentity(creds, "clone-2", "sha256:aaaa")).rejects.toThrow(CloneError);
    await expect(engine.verifyIdentity(creds, "clone-1", "sha256:bbbb")).rejects.toThrow(new RegExp(`server on port ${server.port} is not clone clone-1`));
  });

  it("scrubs and copies onto a fresh disk without old WAL or deleted rows, and the copy starts", async () => {
    const admin = await connect({ host: server.socketDir, port: server.port, user: server.adminUser, database: "notes" });
    try {
      await admin.query("INSERT INTO notes (body) VALUES ($1)", [MARKER]);
      await admin.query("DELETE FROM notes WHERE body = $1", [MARKER]);
    } finally {
      await admin.end();
    }
    await engine.scrub(server, silentReporter, { full: true });
    t.pids.delete(server.pid);
    const oldWal = readdirSync(path.join(staging, "pgdata", "pg_wal")).filter((f) => /^[0-9A-F]{24}$/.test(f));
    expect(bytesHits(path.join(staging, "pgdata"), MARKER)).toBeGreaterThan(0); // the old WAL still has it

    fresh = t.mount();
    await engine.copyFresh(staging, fresh, silentReporter);
    const newWal = readdirSync(path.join(fresh, "pgdata", "pg_wal")).filter((f) => /^[0-9A-F]{24}$/.test(f));
    expect(oldWal.length).toBeGreaterThanOrEqual(1);
    expect(newWal).toHaveLength(1);
    expect(bytesHits(path.join(fresh, "pgdata"), MARKER)).toBe(0);
    expect(await engine.describe(fresh)).toEqual(await engine.describe(staging));

    const s = await start(fresh);
    try {
      const c = await connect({ host: s.socketDir, port: s.port, user: s.adminUser, database: "shop" });
      try {
        expect((await c.query("SELECT city FROM customers WHERE id = 1")).rows[0].city).toBe("Nowhere");
        expect((await c.query("SELECT count(*)::int AS n FROM order_items")).rows[0].n).toBeGreaterThan(9000);
      } finally {
        await c.end();
      }
    } finally {
      await stop(s);
    }
  });

  it("reports a taken port clearly, with the server's own words", async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(port, "127.0.0.1", r));
    try {
      const attempt = start(fresh, { port });
      await expect(attempt).rejects.toThrow(new RegExp(`Port ${port} is already in use[\\s\\S]*Address already in use`));
    } finally {
      blocker.close();
    }
  });

  it("starts an already-restored image fast (median of 10)", async () => {
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const port = await freePort();
      const t0 = performance.now();
      const s = await start(fresh, { port, cloneId: `timing-${i}`, imageDigest: "sha256:t" });
      times.push(performance.now() - t0);
      await stop(s);
    }
    times.sort((a, b) => a - b);
    const median = (times[4]! + times[5]!) / 2;
    console.log(
      `start() time-to-ready over ${times.length} runs: median ${median.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms`,
    );
    expect(median).toBeLessThan(1000);
  });
});
