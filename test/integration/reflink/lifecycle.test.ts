// The reflink driver for real: a version expanded once into a loop-mounted XFS pool file, clones
// as reflink copies (no FUSE daemon), isolation, a layered (promoted) version, a full pool, and
// gc after a SIGKILL during expansion and during a clone. Needs root, loop devices and XFS.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloneRegistry, collectGarbage } from "../../../packages/core/src/clones/index.js";
import { createClone, teardownClones } from "../../../packages/core/src/clones/index.js";
import { promoteClone } from "../../../packages/core/src/clones/promote.js";
import { DiskFullError } from "../../../packages/core/src/errors.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { bundleCli, killAtStep } from "../../faults/cli-process.js";
import { makeWorld, processesUnder, psql, type World, buildSampleImage } from "../clones/fixture.js";
import { expandedImages, loopsUnder, mountsUnder, poolLeftovers, removePool } from "./fixture.js";

const canRun = process.platform === "linux" && process.getuid?.() === 0 && existsSync("/dev/loop-control");
const reporter = silentReporter;
let world: World;
const homes: string[] = [];

const reflinkClone = (ref: string, home = world.home) => createClone({ repository: world.repository, ref, home, reporter, disk: "reflink" });
const teardown = (id: string, home = world.home) => teardownClones({ home, reporter, id });
const qsdUnder = (root: string) =>
  processesUnder(root).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("qemu-storage-daemon");
    } catch {
      return false;
    }
  });
const newHome = (name: string) => {
  const home = path.join(world.root, name);
  mkdirSync(home, { recursive: true });
  homes.push(home);
  return home;
};

describe.skipIf(!canRun)("reflink disk driver (real PostgreSQL, loop-mounted XFS pool)", () => {
  beforeAll(async () => {
    world = await makeWorld("dbclone-reflink-");
    homes.push(world.home);
    await buildSampleImage(world, { sizeMb: 20, seed: 16 });
  }, 600_000);

  afterAll(async () => {
    if (!world) return;
    for (const home of homes) {
      for (const r of await new CloneRegistry(home).list().catch(() => [])) await teardown(r.id, home).catch(() => undefined);
      await removePool(home).catch(() => undefined);
    }
    await world.cleanup();
    // Nothing of ours on the machine: no loop device, mount or file under the test root.
    expect(loopsUnder(world.root)).toEqual([]);
    expect(mountsUnder(world.root)).toEqual([]);
    expect(existsSync(world.root)).toBe(false);
  }, 300_000);

  it("expands once, hands out 10 concurrent isolated clones without FUSE, and leaves nothing after teardown", async () => {
    const clones = await Promise.all(Array.from({ length: 10 }, () => reflinkClone("shop:v1")));
    expect(expandedImages(world.home)).toHaveLength(1);
    for (const c of clones) {
      expect(c.clone.disk).toBe("reflink");
      expect(c.clone.attachment?.driver).toBe("reflink");
      expect(path.dirname(c.clone.attachment!.file)).toBe(path.join(world.home, "pool", "clones"));
      // The loop device found from the mount table is the clone file's, and its XFS fails fast on write errors.
      const loop = c.clone.attachment!.handles.loopDevice as string;
      expect(readFileSync(`/sys/block/${path.basename(loop)}/loop/backing_file`, "utf8").trim()).toBe(c.clone.attachment!.file);
      expect(readFileSync(`/sys/fs/xfs/${path.basename(loop)}/error/metadata/ENOSPC/max_retries`, "utf8").trim()).toBe("0");
      // Reported size: only what the clone wrote itself, not the blocks it shares with the image.
      expect(c.childDiskBytes).toBeLessThan(32 * 1024 * 1024);
    }
    // No qemu-storage-daemon serves any of them: writes go XFS → loop → XFS pool → host.
    expect(qsdUnder(world.root)).toEqual([]);
    for (const [i, c] of clones.entries())
      psql(c.credentials.connectionString, `CREATE TABLE mine (n int); INSERT INTO mine VALUES (${i}); DELETE FROM order_items`);
    clones.forEach((c, i) => {
      expect(psql(c.credentials.connectionString, "SELECT string_agg(n::text, ',') FROM mine")).toBe(String(i));
      expect(psql(c.credentials.connectionString, "SELECT count(*) FROM order_items")).toBe("0");
    });
    // A further clone of the verified, expanded base: no hash of it and no rewrite of either
    // verified-digest cache (each rewrite is an fsync on the clone's path), and, asked not to,
    // no extent-map measure after ready (the CLI's way).
    const stateFiles = [path.join(world.home, "state", "verified-digests.json"), path.join(world.home, "cache", "verified-blobs.json")];
    const stamp = () => stateFiles.map((f) => (existsSync(f) ? `${statSync(f).ino}:${statSync(f).mtimeMs}` : "missing"));
    const before = stamp();
    expect(before).not.toContain("missing");
    // The image itself is untouched: a new clone sees the original rows and no `mine` table.
    const fresh = await createClone({ repository: world.repository, ref: "shop:v1", home: world.home, reporter, disk: "reflink", measureChildDisk: false });
    expect(fresh.childDiskBytes).toBeUndefined();
    expect(stamp()).toEqual(before);
    expect(Number(psql(fresh.credentials.connectionString, "SELECT count(*) FROM order_items"))).toBeGreaterThan(0);
    expect(psql(fresh.credentials.connectionString, "SELECT to_regclass('mine') IS NULL")).toBe("t");

    for (const c of [...clones, fresh]) await teardown(c.clone.id);
    expect(await new CloneRegistry(world.home).list()).toEqual([]);
    // No server of any clone still runs (the afterAll's cleanup would kill it before any check).
    expect(world.processes()).toEqual([]);
    expect(poolLeftovers(world.home)).toEqual([]);
    expect(readdirSync(path.join(world.home, "clones")).filter((f) => f.startsWith("c-"))).toEqual([]);
    expect(await world.leftovers()).toEqual([]);
  }, 600_000);

  it("clones a layered (promoted) version from its explicitly assembled layer chain", async () => {
    const source = await createClone({ repository: world.repository, ref: "shop:v1", home: world.home, reporter, disk: "qcow2" });
    psql(source.credentials.connectionString, "CREATE TABLE promoted_marker (note text); INSERT INTO promoted_marker VALUES ('from v2')");
    const v2 = await promoteClone({
      repository: world.repository,
      home: world.home,
      reporter,
      clone: source.clone.id,
      as: "shop:v2",
      build: { actor: "tester" },
    });
    expect(v2.image.manifest.parent).toBeDefined();

    const c2 = await reflinkClone("shop:v2");
    const c1 = await reflinkClone("shop:v1");
    expect(psql(c2.credentials.connectionString, "SELECT note FROM promoted_marker")).toBe("from v2");
    expect(psql(c1.credentials.connectionString, "SELECT to_regclass('promoted_marker') IS NULL")).toBe("t");
    expect(expandedImages(world.home)).toHaveLength(2);
    await teardown(c2.clone.id);
    await teardown(c1.clone.id);
    expect(poolLeftovers(world.home)).toEqual([]);
  }, 600_000);

  it("promotes a reflink clone to a layer of only what it changed, clonable by either driver", async () => {
    const source = await reflinkClone("shop:v1");
    psql(
      source.credentials.connectionString,
      "CREATE TABLE reflink_marker (note text); INSERT INTO reflink_marker VALUES ('from a reflink clone'); DELETE FROM order_items WHERE line % 2 = 0",
    );
    const kept = psql(source.credentials.connectionString, "SELECT count(*) FROM order_items");
    const v3 = await promoteClone({
      repository: world.repository,
      home: world.home,
      reporter,
      clone: source.clone.id,
      as: "shop:v3",
      build: { actor: "tester" },
    });
    expect(v3.image.manifest.parent).toBe(v3.source.manifestDigest);
    expect(v3.chainDepth).toBe(2);
    // A layer, not a copy: far smaller than the base it sits on.
    expect(v3.blobBytes).toBeLessThan(v3.source.manifest.disk.sizeBytes / 2);
    expect(await new CloneRegistry(world.home).get(source.clone.id)).toBeUndefined();
    expect(poolLeftovers(world.home)).toEqual([]);

    const viaReflink = await reflinkClone("shop:v3");
    const viaQcow2 = await createClone({ repository: world.repository, ref: "shop:v3", home: world.home, reporter, disk: "qcow2" });
    for (const c of [viaReflink, viaQcow2]) {
      expect(psql(c.credentials.connectionString, "SELECT note FROM reflink_marker")).toBe("from a reflink clone");
      expect(psql(c.credentials.connectionString, "SELECT count(*) FROM order_items")).toBe(kept);
    }
    await teardown(viaReflink.clone.id);
    await teardown(viaQcow2.clone.id);
    expect(poolLeftovers(world.home)).toEqual([]);
  }, 600_000);

  it("refuses with a clear error when the pool is full, and makes nothing", async () => {
    const home = newHome("home-full");
    process.env.DBCLONE_POOL_SIZE = "600M";
    try {
      const keep = await reflinkClone("shop:v1", home);
      const pool = path.join(home, "pool");
      // Fill the fixed-size pool so that expanding v2 cannot fit; v1 is in use and must not be evicted.
      const free = statfsSync(pool).bavail * statfsSync(pool).bsize;
      execFileSync("fallocate", ["-l", String(free - 80 * 1024 * 1024), path.join(pool, "filler")]);
      const registryBefore = (await new CloneRegistry(home).list()).map((r) => r.id);

      const failed = await reflinkClone("shop:v2", home).catch((e: Error) => e);
      expect(failed).toBeInstanceOf(DiskFullError);
      expect((failed as Error).message).toMatch(/reflink pool .*pool is full: \d+ MB free, expanding the image needs about \d+ MB; nothing was made/);
      expect((failed as Error).message).toContain("DBCLONE_POOL_SIZE");

      expect((await new CloneRegistry(home).list()).map((r) => r.id)).toEqual(registryBefore);
      expect(expandedImages(home)).toHaveLength(1);
      const left = poolLeftovers(home).filter((l) => !l.includes(keep.clone.id));
      expect(left).toEqual([]);
      // Nor a clone directory, nor a server: only the kept clone's.
      expect(readdirSync(path.join(home, "clones")).filter((f) => f.startsWith("c-"))).toEqual([path.basename(keep.clone.dir)]);
      expect(processesUnder(home).filter((pid) => !readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(keep.clone.dir))).toEqual([]);
      expect(psql(keep.credentials.connectionString, "SELECT count(*) > 0 FROM order_items")).toBe("t");

      // A clone of the expanded v1 is refused too: its copy would be free, but its writes would not fit.
      const noRoom = await reflinkClone("shop:v1", home).catch((e: Error) => e);
      expect(noRoom).toBeInstanceOf(DiskFullError);
      expect((noRoom as Error).message).toMatch(/is full: \d+ MB free, a clone of the image may write about \d+ MB; nothing was made/);
      expect((await new CloneRegistry(home).list()).map((r) => r.id)).toEqual(registryBefore);
      expect(poolLeftovers(home).filter((l) => !l.includes(keep.clone.id))).toEqual([]);
      expect(readdirSync(path.join(home, "clones")).filter((f) => f.startsWith("c-"))).toEqual([path.basename(keep.clone.dir)]);
      // Once there is room the pool serves clones again.
      rmSync(path.join(pool, "filler"));
      const again = await reflinkClone("shop:v1", home);
      expect(psql(again.credentials.connectionString, "SELECT count(*) > 0 FROM order_items")).toBe("t");
      await teardown(again.clone.id, home);
      await teardown(keep.clone.id, home);
      expect(poolLeftovers(home)).toEqual([]);
    } finally {
      delete process.env.DBCLONE_POOL_SIZE;
    }
  }, 600_000);

  it("uses the host filesystem itself as the pool when it has reflinks (no pool file)", async () => {
    // DBCLONE_HOME on an XFS with reflinks, as on a runner whose disk is XFS or btrfs.
    const xfsFile = path.join(world.root, "host-xfs.raw");
    const hostDir = path.join(world.root, "host-xfs");
    execFileSync("truncate", ["-s", "1G", xfsFile]);
    execFileSync("mkfs.xfs", ["-q", "-m", "reflink=1", xfsFile]);
    mkdirSync(hostDir);
    execFileSync("mount", ["-o", "loop", xfsFile, hostDir]);
    try {
      const home = path.join(hostDir, "home");
      mkdirSync(home, { mode: 0o711 });
      execFileSync("chmod", ["0711", hostDir]);
      const c = await reflinkClone("shop:v1", home);
      expect(existsSync(path.join(home, "pool.xfs"))).toBe(false);
      expect(mountsUnder(path.join(home, "pool"))).toEqual([]);
      expect(expandedImages(home)).toHaveLength(1);
      expect(psql(c.credentials.connectionString, "SELECT count(*) > 0 FROM order_items")).toBe("t");
      await teardown(c.clone.id, home);
      expect(poolLeftovers(home)).toEqual([]);
    } finally {
      execFileSync("umount", [hostDir]);
    }
  }, 600_000);

  describe("gc after a SIGKILL", () => {
    let bundle: string;
    const env = (home: string) => ({ DBCLONE_HOME: home, DBCLONE_REPO: world.repoDir, DBCLONE_CACHE_DIR: path.join(home, "cache") });
    const kill = (home: string, step: string) =>
      killAtStep(bundle, ["clone", "shop:v1", "--disk", "reflink"], env(home), step, path.join(home, `pause-${step.replace(":", "-")}`), 300_000);

    beforeAll(async () => {
      bundle = await bundleCli(path.join(world.root, "dbclone.cjs"));
    }, 300_000);

    it("during expansion: gc removes the half-written image and the clone record, and the next clone works", async () => {
      const home = newHome("home-kill-expand");
      const killed = await kill(home, "expand:converted");
      expect(killed.signal).toBe("SIGKILL");
      const images = path.join(home, "pool", "images");
      expect(readdirSync(images).filter((f) => f.includes(".raw.tmp-"))).toHaveLength(1);
      expect(await new CloneRegistry(home).list()).toHaveLength(1);

      // The dead expander's image lock is only known dead once it is stale (not refreshed for 12 s).
      await new Promise((r) => setTimeout(r, 13_000));
      const gc = await collectGarbage({ home, reporter });
      expect(gc.released.some((r) => r.includes(".raw.tmp-"))).toBe(true);
      expect(await new CloneRegistry(home).list()).toEqual([]);
      expect(poolLeftovers(home)).toEqual([]);
      expect(expandedImages(home)).toEqual([]);

      const c = await reflinkClone("shop:v1", home);
      expect(psql(c.credentials.connectionString, "SELECT count(*) > 0 FROM order_items")).toBe("t");
      await teardown(c.clone.id, home);
      expect(poolLeftovers(home)).toEqual([]);
    }, 600_000);

    it("during the data check (the image mounted for the walk): gc unmounts it, detaches its loop and deletes it", async () => {
      const home = newHome("home-kill-check");
      const killed = await kill(home, "expand:checking");
      expect(killed.signal).toBe("SIGKILL");
      const check = path.join(home, "pool", "check");
      expect(mountsUnder(check)).toHaveLength(1);
      expect(loopsUnder(path.join(home, "pool", "images"))).toHaveLength(1);
      // A pool file a killed process was formatting, as gc finds it (pid 2^22 + 1 is above pid_max: never alive).
      writeFileSync(path.join(home, "pool.xfs.tmp-4194305"), "");

      await new Promise((r) => setTimeout(r, 13_000));
      const gc = await collectGarbage({ home, reporter });
      expect(gc.released.some((r) => r.startsWith(`mount ${check}`))).toBe(true);
      expect(mountsUnder(check)).toEqual([]);
      expect(loopsUnder(path.join(home, "pool", "images"))).toEqual([]);
      expect(existsSync(path.join(home, "pool.xfs.tmp-4194305"))).toBe(false);
      expect(poolLeftovers(home)).toEqual([]);
      expect(readdirSync(check)).toEqual([]);
      expect(await new CloneRegistry(home).list()).toEqual([]);
    }, 600_000);

    it("during a clone (mounted, no server yet): gc unmounts, detaches and deletes its pool copy", async () => {
      const home = newHome("home-kill-clone");
      const killed = await kill(home, "clone:mounted");
      expect(killed.signal).toBe("SIGKILL");
      const [record] = await new CloneRegistry(home).list();
      expect(record?.disk).toBe("reflink");
      expect(mountsUnder(record!.dir)).toEqual([record!.mountPath]);
      expect(loopsUnder(path.join(home, "pool", "clones"))).toHaveLength(1);

      await collectGarbage({ home, reporter });
      expect(await new CloneRegistry(home).list()).toEqual([]);
      expect(poolLeftovers(home)).toEqual([]);
      expect(existsSync(record!.dir)).toBe(false);
      // The expanded image stays for the next clone.
      expect(expandedImages(home)).toHaveLength(1);
    }, 600_000);

    it("an orphan clone disk with no record at all (killed between copy and record) is released by gc", async () => {
      const home = newHome("home-kill-orphan");
      const killed = await kill(home, "clone:mounted");
      expect(killed.signal).toBe("SIGKILL");
      // Lose the record too, as if the registry write never happened: gc must still find the disk by its owner file.
      const registry = new CloneRegistry(home);
      for (const r of await registry.list()) await registry.remove(r.id);
      expect(poolLeftovers(home).length).toBeGreaterThan(0);
      const gc = await collectGarbage({ home, reporter });
      expect(gc.released.length).toBeGreaterThan(0);
      expect(poolLeftovers(home)).toEqual([]);
    }, 600_000);
  });
});
