// A `dbclone clone` SIGKILLed after PostgreSQL was spawned but before the clone record names the
// server's pid: gc must find that postmaster (its data directory is in the clone's mount), stop it,
// and only then unmount and delete — no server, mount or loop device may outlive the gc.
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloneRegistry } from "../../packages/core/src/clones/index.js";
import { makeWorld, type World, buildSampleImage } from "../integration/clones/fixture.js";
import { bundleCli, killAtStep, runCli } from "./cli-process.js";
import { leaksUnder } from "./leaks.js";

const canRun = process.getuid?.() === 0 && existsSync("/dev/fuse");

let world: World;
let bundle: string;
let env: NodeJS.ProcessEnv;

describe.skipIf(!canRun)("a clone killed between its server's spawn and its record", () => {
  beforeAll(async () => {
    world = await makeWorld("dbclone-stray-");
    bundle = await bundleCli(path.join(world.root, "dbclone.cjs"));
    await buildSampleImage(world, { sizeMb: 2, seed: 5 });
    env = { DBCLONE_HOME: world.home, DBCLONE_REPO: world.repoDir, DBCLONE_CACHE_DIR: path.join(world.home, "cache") };
  }, 300_000);

  afterAll(async () => {
    await world?.cleanup();
  });

  it("gc stops the unrecorded server before it unmounts: no server, mount or loop device is left", async () => {
    const killed = await killAtStep(bundle, ["clone", "shop:v1", "--json"], env, "server:spawned", path.join(world.root, "pause"));
    expect(killed.signal).toBe("SIGKILL");
    const [record] = await new CloneRegistry(world.home).list();
    // The moment this test is about: a half-made clone whose record names no server.
    expect(record?.state).toBe("creating");
    expect(record?.serverPid).toBeUndefined();
    expect(world.processes().length).toBeGreaterThan(0);

    const gc = await runCli(bundle, ["gc", "--json"], env);
    expect(gc.code).toBe(0);
    expect(leaksUnder(world.root, [])).toEqual([]);
    // Stopped first, so the unmount found nothing holding the filesystem (no lazy detach).
    expect(gc.stderr).not.toMatch(/busy|lazily/);
    expect(await new CloneRegistry(world.home).list()).toEqual([]);
    // And the next clone is ready.
    const next = await runCli(bundle, ["clone", "shop:v1", "--json"], env);
    expect(next.code).toBe(0);
    const made = JSON.parse(next.stdout) as { id: string };
    expect((await runCli(bundle, ["teardown", made.id], env)).code).toBe(0);
    expect(leaksUnder(world.root, [])).toEqual([]);
  }, 300_000);

  it("gc stops a server over a clone directory whose record is gone before it releases the mount", async () => {
    await killAtStep(bundle, ["clone", "shop:v1", "--json"], env, "server:spawned", path.join(world.root, "pause-2"));
    const registry = new CloneRegistry(world.home);
    const [record] = await registry.list();
    // A record lost with its process (gc must judge the directory alone).
    await registry.remove(record!.id);
    expect(world.processes().length).toBeGreaterThan(0);

    const gc = await runCli(bundle, ["gc", "--json"], env);
    expect(gc.code).toBe(0);
    expect((JSON.parse(gc.stdout) as { released: string[] }).released.some((r) => r.startsWith("server "))).toBe(true);
    expect(leaksUnder(world.root, [])).toEqual([]);
    expect(gc.stderr).not.toMatch(/busy|lazily/);
  }, 300_000);
});
