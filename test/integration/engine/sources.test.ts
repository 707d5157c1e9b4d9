// Restore from every PostgreSQL source kind into a temp "mount", then start and inventory it.
import { cpSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresEngine } from "../../../packages/core/src/engine/postgres/index.js";
import { readEngineFile } from "../../../packages/core/src/engine/postgres/engineFile.js";
import type { DatabaseInfo, RunningServer } from "../../../packages/core/src/engine/types.js";
import { SourceError } from "../../../packages/core/src/errors.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { Tracker, freePort, startSourceServer, type SourceServer } from "./fixtures.js";

const engine = new PostgresEngine();
const t = new Tracker();
let src: SourceServer;
let dumps: string;

beforeAll(async () => {
  src = await startSourceServer(t);
  dumps = t.mount("dbclone-dumps-");
  await src.dump(["pg_dump", "-Fc", "-f", path.join(dumps, "inventory.dump"), "-d", "inventory"]);
  await src.dump(["pg_dump", "-Fd", "-f", path.join(dumps, "inventory.dir"), "-d", "inventory"]);
  await src.dump(["pg_dump", "-Fp", "-f", path.join(dumps, "inventory.sql"), "-d", "inventory"]);
  await src.dump(["pg_dump", "-Ft", "-f", path.join(dumps, "crm.tar"), "-d", "crm"]);
  await src.dump(["pg_dumpall", "-f", path.join(dumps, "all.sql")]);
}, 120_000);

afterAll(() => t.cleanup(), 60_000);

/** Start the image, inventory it, run `more` with the server, always stop it. */
async function startAndInventory(mount: string, more?: (s: RunningServer) => Promise<void>): Promise<DatabaseInfo[]> {
  const server = await engine.start(mount, { port: await freePort(), runDir: path.join(mount, "run") }, silentReporter);
  t.pids.add(server.pid);
  try {
    const inv = await engine.inventory(server);
    if (more) await more(server);
    return inv;
  } finally {
    await engine.stop(server);
    t.pids.delete(server.pid);
  }
}

const table = (inv: DatabaseInfo[], db: string, name: string) => inv.find((d) => d.name === db)?.tables.find((x) => x.name === name);

async function countRows(s: RunningServer, db: string, sql: string): Promise<number> {
  const c = new pg.Client({ host: s.socketDir, port: s.port, user: s.adminUser, database: db });
  await c.connect();
  try {
    return Number((await c.query(sql)).rows[0].n);
  } finally {
    await c.end();
  }
}

describe("restore from each source kind", { timeout: 120_000 }, () => {
  it("restores a custom-format dump under the database name from its header", async () => {
    const mount = t.mount();
    const info = await engine.restore([{ kind: "dump", path: path.join(dumps, "inventory.dump") }], mount, silentReporter);
    expect(info).toEqual({ kind: "postgres", version: expect.stringMatching(/^15\.\d+$/), rolePasswordsStripped: true });
    const inv = await startAndInventory(mount);
    expect(inv.map((d) => d.name)).toEqual(["inventory"]);
    const items = table(inv, "inventory", "items")!;
    expect(items.rowEstimate).toBe(2000);
    expect(items.sizeBytes).toBeGreaterThan(8192);
    expect(items.columns).toEqual([
      { name: "id", type: "integer", nullable: false },
      { name: "sku", type: "text", nullable: false },
      { name: "qty", type: "integer", nullable: true },
    ]);
    expect(inv[0]!.sizeBytes).toBeGreaterThan(1_000_000);
    expect(await engine.describe(mount)).toEqual({ kind: info.kind, version: info.version });
  });

  it("restores a directory dump", async () => {
    const mount = t.mount();
    await engine.restore([{ kind: "dump", path: path.join(dumps, "inventory.dir") }], mount, silentReporter);
    const inv = await startAndInventory(mount);
    expect(table(inv, "inventory", "items")?.rowEstimate).toBe(2000);
    expect(table(inv, "inventory", "owned_notes")?.rowEstimate).toBe(2);
  });

  it("restores a plain SQL dump (owners recreated as NOLOGIN roles) and a tar dump into one image", async () => {
    const mount = t.mount();
    await engine.restore(
      [
        { kind: "dump", path: path.join(dumps, "inventory.sql"), database: "plain_inventory" },
        { kind: "dump", path: path.join(dumps, "crm.tar") },
      ],
      mount,
      silentReporter,
    );
    const inv = await startAndInventory(mount, async (s) => {
      expect(await countRows(s, "plain_inventory", "SELECT count(*) AS n FROM items")).toBe(2000);
      expect(await countRows(s, "crm", "SELECT count(*) AS n FROM contacts")).toBe(300);
    });
    expect(inv.map((d) => d.name).sort()).toEqual(["crm", "plain_inventory"]);
  });

  it("restores pg_dumpall output with its roles and databases, and forgets source passwords", async () => {
    const mount = t.mount();
    await engine.restore([{ kind: "dump", path: path.join(dumps, "all.sql") }], mount, silentReporter);
    const inv = await startAndInventory(mount, async (s) => {
      expect(await countRows(s, "postgres", "SELECT count(*) AS n FROM pg_roles WHERE rolname IN ('app_owner', 'repl', 'srcadmin')")).toBe(3);
      expect(await countRows(s, "postgres", "SELECT count(*) AS n FROM pg_authid WHERE rolpassword IS NOT NULL")).toBe(0);
    });
    expect(inv.map((d) => d.name).sort()).toEqual(["crm", "inventory"]);
    expect(table(inv, "inventory", "items")?.rowEstimate).toBe(2000);
  });

  it("takes a base backup of a live server (password via PGPASSWORD) and finds its superuser", async () => {
    const probe = await engine.probeSource({ kind: "server", url: src.replUrl });
    expect(probe.description).not.toContain("r3pl");
    expect(probe.version).toMatch(/^15\./);
    const mount = t.mount();
    await engine.restore([{ kind: "server", url: src.replUrl }], mount, silentReporter);
    expect((await readEngineFile(mount)).adminUser).toBe("srcadmin");
    const inv = await startAndInventory(mount);
    expect(inv.map((d) => d.name).sort()).toEqual(["crm", "inventory"]);
    expect(table(inv, "crm", "contacts")?.columns.map((c) => c.name)).toEqual(["id", "email"]);
  });

  it("refuses a data directory while its server runs, then copies it once stopped", async () => {
    await expect(engine.probeSource({ kind: "datadir", path: src.dataDir })).rejects.toThrow(/in use by a running PostgreSQL \(pid \d+\)/);
    await engine.stop({ pid: src.pid, host: "127.0.0.1", port: src.port, adminUser: "srcadmin" });
    t.pids.delete(src.pid);
    const mount = t.mount();
    await engine.restore([{ kind: "datadir", path: src.dataDir }], mount, silentReporter);
    expect((await readEngineFile(mount)).adminUser).toBe("srcadmin");
    const inv = await startAndInventory(mount, async (s) => {
      // createLogin on a cluster that kept its owners: the login may alter app_owner's table.
      const creds = await engine.createLogin(s, ["inventory"], { user: "clone_login", password: "pw-123" });
      const c = new pg.Client({ connectionString: creds.connectionString });
      await c.connect();
      try {
        await c.query("ALTER TABLE owned_notes ADD COLUMN tag text");
        expect((await c.query("SELECT count(*)::int AS n FROM owned_notes")).rows[0].n).toBe(2);
      } finally {
        await c.end();
      }
    });
    expect(table(inv, "inventory", "items")?.rowEstimate).toBe(2000);
  });

  it("names the missing version and package for a data directory of another major", async () => {
    const fake = path.join(t.mount(), "pg11");
    cpSync(src.dataDir, fake, { recursive: true });
    writeFileSync(path.join(fake, "PG_VERSION"), "11\n");
    const attempt = engine.restore([{ kind: "datadir", path: fake }], t.mount(), silentReporter);
    await expect(attempt).rejects.toBeInstanceOf(SourceError);
    await expect(engine.probeSource({ kind: "datadir", path: fake })).rejects.toThrow(/PostgreSQL 11.*postgresql-11/s);
  });

  it("rejects a file that is not a dump", async () => {
    const file = path.join(dumps, "notes.txt");
    writeFileSync(file, "just some notes\n");
    await expect(engine.probeSource({ kind: "dump", path: file })).rejects.toBeInstanceOf(SourceError);
    await expect(engine.restore([{ kind: "dump", path: file }], t.mount(), silentReporter)).rejects.toThrow(/is not a PostgreSQL dump \(expected/);
  });
});
