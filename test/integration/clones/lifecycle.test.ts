// The heart of the product, for real: build an image on qcow2 + PostgreSQL, clone it, use the
// clones, tear them down, and prove nothing is left behind.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloneRegistry } from "../../../packages/core/src/clones/index.js";
import { collectGarbage, createClone, teardownClones } from "../../../packages/core/src/clones/index.js";
import { ImageNotFoundError } from "../../../packages/core/src/errors.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { makeWorld, psql, type World, buildSampleImage } from "./fixture.js";

let world: World;
const reporter = silentReporter;

beforeAll(async () => {
  world = await makeWorld();
  await buildSampleImage(world, { sizeMb: 5, seed: 7 });
});

afterAll(async () => {
  await world?.cleanup();
});

const clone = (extra: Partial<Parameters<typeof createClone>[0]> = {}) =>
  createClone({ repository: world.repository, ref: "shop:v1", home: world.home, reporter, ...extra });

describe("clones of a PostgreSQL image on qcow2", () => {
  it("records the image's databases, tables and engine in the manifest", async () => {
    const image = await world.repository.resolve({ name: "shop", version: "v1" });
    expect(image.manifest.engine).toMatchObject({ kind: "postgres" });
    expect(image.manifest.engine.version).toMatch(/^15\./);
    const shop = image.manifest.databases.find((d) => d.name === "shop");
    expect(shop?.tables.map((t) => t.name).sort()).toEqual(expect.arrayContaining(["customers", "orders"]));
    const c = await clone();
    const customers = Number(psql(c.credentials.connectionString, "SELECT count(*) FROM customers"));
    await teardownClones({ home: world.home, reporter, id: c.clone.id });
    expect(customers).toBeGreaterThan(0);
    expect(shop?.tables.find((t) => t.name === "customers")?.rowEstimate).toBe(customers);
  });

  it("gives two writable clones that do not see each other's writes, then removes every trace", async () => {
    const a = await clone();
    const b = await clone();
    expect(a.created).toBe(true);
    expect(a.credentials.port).not.toBe(b.credentials.port);
    const orders = Number(psql(b.credentials.connectionString, "SELECT count(*) FROM orders"));
    expect(orders).toBeGreaterThan(0);
    psql(a.credentials.connectionString, "DELETE FROM order_items; DELETE FROM orders; CREATE TABLE scratch (x int)");
    expect(psql(a.credentials.connectionString, "SELECT count(*) FROM orders")).toBe("0");
    expect(Number(psql(b.credentials.connectionString, "SELECT count(*) FROM orders"))).toBe(orders);
    expect(psql(b.credentials.connectionString, "SELECT to_regclass('scratch') IS NULL")).toBe("t");
    // The clone login is not a superuser, and the image's admin cannot log in over TCP.
    expect(psql(a.credentials.connectionString, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).toBe("f");
    // ...yet it can run the migrations a pull request brings: alter, index and drop the image's tables.
    psql(
      a.credentials.connectionString,
      "ALTER TABLE customers ADD COLUMN loyalty int; CREATE INDEX ON customers (loyalty); ALTER TABLE products RENAME TO items",
    );
    expect(psql(b.credentials.connectionString, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'loyalty'")).toBe("0");

    const { removed } = await teardownClones({ home: world.home, reporter, id: a.clone.id });
    await teardownClones({ home: world.home, reporter, id: b.clone.id });
    expect(removed).toEqual([a.clone.id]);
    expect(existsSync(a.clone.childFile)).toBe(false);
    expect(existsSync(a.clone.dir)).toBe(false);
    expect(await world.leftovers()).toEqual([]);
    expect(world.processes()).toEqual([]);
    expect(await new CloneRegistry(world.home).list()).toEqual([]);
  });

  it("hands a live named clone back (created: false), makes it anew with reset, and tears down idempotently", async () => {
    const first = await clone({ name: "feature-x" });
    psql(first.credentials.connectionString, "CREATE TABLE marker (x int)");
    const again = await clone({ name: "feature-x" });
    expect(again.created).toBe(false);
    expect(again.clone.id).toBe(first.clone.id);
    expect(psql(again.credentials.connectionString, "SELECT to_regclass('marker') IS NOT NULL")).toBe("t");
    const reset = await clone({ name: "feature-x", reset: true });
    expect(reset.created).toBe(true);
    expect(reset.clone.id).not.toBe(first.clone.id);
    expect(psql(reset.credentials.connectionString, "SELECT to_regclass('marker') IS NULL")).toBe("t");
    expect((await teardownClones({ home: world.home, reporter, name: "feature-x" })).removed).toEqual([reset.clone.id]);
    expect((await teardownClones({ home: world.home, reporter, name: "feature-x" })).removed).toEqual([]);
    expect(await world.leftovers()).toEqual([]);
  });

  it("tears down every clone carrying a PR label", async () => {
    const one = await clone({ labels: { pr: "42", branch: "f" } });
    const two = await clone({ labels: { pr: "42", branch: "f" } });
    const other = await clone({ labels: { pr: "7" } });
    const { removed } = await teardownClones({ home: world.home, reporter, labels: { pr: "42" } });
    expect(removed.sort()).toEqual([one.clone.id, two.clone.id].sort());
    expect((await new CloneRegistry(world.home).list()).map((r) => r.id)).toEqual([other.clone.id]);
    await teardownClones({ home: world.home, reporter, id: other.clone.id });
  });

  it("gc recovers a clone whose server was SIGKILLed and whose qemu-storage-daemon was killed", async () => {
    // The disk daemon exists only under qcow2 (the fallback driver): pinned.
    const victim = await clone({ disk: "qcow2" });
    const record = (await new CloneRegistry(world.home).get(victim.clone.id))!;
    process.kill(record.serverPid!, "SIGKILL");
    process.kill(Number(record.attachment!.handles.daemonPid), "SIGKILL");
    await new Promise((r) => setTimeout(r, 200));
    expect((await world.leftovers()).length).toBeGreaterThan(0);
    const result = await collectGarbage({ home: world.home, reporter });
    expect(result.orphans).toEqual([victim.clone.id]);
    expect(await world.leftovers()).toEqual([]);
    expect(world.processes()).toEqual([]);
    expect(existsSync(victim.clone.dir)).toBe(false);
  });

  it("gc recovers a reflink clone (the default) whose server was SIGKILLed: mount, loop and pool copy released", async () => {
    const victim = await clone();
    const record = (await new CloneRegistry(world.home).get(victim.clone.id))!;
    expect(record.disk).toBe("reflink");
    process.kill(record.serverPid!, "SIGKILL");
    await new Promise((r) => setTimeout(r, 200));
    expect((await world.leftovers()).length).toBeGreaterThan(0);
    const result = await collectGarbage({ home: world.home, reporter });
    expect(result.orphans).toEqual([victim.clone.id]);
    expect(await world.leftovers()).toEqual([]);
    expect(world.processes()).toEqual([]);
    expect(existsSync(victim.clone.dir)).toBe(false);
    expect(existsSync(record.attachment!.file)).toBe(false);
  });

  it("gc removes expired clones and leftovers that no record owns", async () => {
    const expiring = await clone({ ttlSeconds: 60 });
    const kept = await clone({ ttlSeconds: 3600 });
    const later = new Date(Date.now() + 120_000);
    const result = await collectGarbage({ home: world.home, reporter, now: later });
    expect(result.expired).toEqual([expiring.clone.id]);
    expect((await new CloneRegistry(world.home).list()).map((r) => r.id)).toEqual([kept.clone.id]);
    await teardownClones({ home: world.home, reporter, id: kept.clone.id });
  });

  it("makes 10 clones of one image at once, all working, all on their own ports", async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => clone()));
    const ports = new Set(results.map((r) => r.credentials.port));
    expect(ports.size).toBe(10);
    for (const [i, r] of results.entries()) psql(r.credentials.connectionString, `CREATE TABLE mine_${i} (x int)`);
    for (const [i, r] of results.entries()) {
      expect(psql(r.credentials.connectionString, "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'mine_%'")).toBe("1");
      expect(psql(r.credentials.connectionString, `SELECT to_regclass('mine_${i}') IS NOT NULL`)).toBe("t");
    }
    await Promise.all(results.map((r) => teardownClones({ home: world.home, reporter, id: r.clone.id })));
    expect(await world.leftovers()).toEqual([]);
    expect(world.processes()).toEqual([]);
  });

  it("refuses an unknown image or version clearly and makes nothing", async () => {
    await expect(createClone({ repository: world.repository, ref: "nosuch:v1", home: world.home, reporter })).rejects.toThrow(ImageNotFoundError);
    await expect(createClone({ repository: world.repository, ref: "shop:v9", home: world.home, reporter })).rejects.toThrow(/shop.*v9/);
    expect(await new CloneRegistry(world.home).list()).toEqual([]);
    expect(await world.leftovers()).toEqual([]);
  });
});
