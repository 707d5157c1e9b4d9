// The reflink pool against what a user (or a process with write access to DBCLONE_HOME) could
// plant or change: an index naming paths outside the pool, an expanded image modified or made
// writable between clones, symlinks where the pool directory or pool file go, a pool full of
// images where only unused ones may be evicted, and a pool mount whose file was deleted.
// Real loop-mounted XFS, no PostgreSQL: the images hold a small XFS tree made here.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statfsSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256File } from "../../../packages/core/src/image/digest.js";
import { loopsUnder, makeXfsImage, mountsUnder, poolScratch } from "./fixture.js";

const canRun = process.platform === "linux" && process.getuid?.() === 0 && existsSync("/dev/loop-control");
const scratch = poolScratch("dbclone-hostile-pool-", { a: 4, b: 4 });
const { images, driverFor } = scratch;
const newHome = scratch.newHome;
const MiB = 1024 * 1024;

describe.skipIf(!canRun)("reflink pool against planted and modified files", () => {
  beforeAll(() => scratch.setUp(), 300_000);

  afterAll(async () => {
    expect(await scratch.tearDown()).toEqual({ mounts: [], loops: [] });
  }, 120_000);

  it("an index key naming a path outside the pool is never listed nor evicted", async () => {
    const home = newHome("index-escape");
    const driver = driverFor(home);
    await driver.prepare([images.a!]);
    const victim = path.join(scratch.root(), "victim.raw");
    writeFileSync(victim, "not the pool's");
    const key = path.relative(driver.pool.layout.imagesDir, victim).replace(/\.raw$/, "");
    const indexFile = path.join(driver.pool.layout.imagesDir, "index.json");
    const index = JSON.parse(readFileSync(indexFile, "utf8"));
    index[key] = { layers: [], bytes: 1, lastUsedMs: 0 };
    writeFileSync(indexFile, JSON.stringify(index));

    expect((await driver.listPrepared()).map((p) => p.file)).not.toContain(victim);
    await driver.evict(key, "test");
    expect(existsSync(victim)).toBe(true);
  }, 120_000);

  it("a garbled index is survived: the image, no longer known as expanded, is expanded again and recorded", async () => {
    const home = newHome("index-garbled");
    const driver = driverFor(home);
    const first = await driver.prepare([images.a!]);
    const indexFile = path.join(driver.pool.layout.imagesDir, "index.json");
    writeFileSync(indexFile, "{not json");
    const again = await driver.prepare([images.a!]);
    expect(again.file).toBe(first.file);
    expect(Object.keys(JSON.parse(readFileSync(indexFile, "utf8")))).toEqual([first.key]);
  }, 120_000);

  it("a clone whose expanded image is evicted between finding it and copying it expands it again", async () => {
    const home = newHome("evicted-before-copy");
    const driver = driverFor(home);
    const image = await driver.prepare([images.a!]);
    // The eviction lands right after the clone's lock-free fast path found the image.
    const prepare = driver.prepare.bind(driver);
    let evictions = 0;
    driver.prepare = async (layers) => {
      const found = await prepare(layers);
      if (evictions++ === 0) await driver.evict(found.key, "test: evicted before the copy");
      return found;
    };
    expect(existsSync(image.file)).toBe(true);
    const child = await driver.createLayeredChild([images.a!], path.join(home, "clones", "c-raced", "disk.qcow2"));
    expect(evictions).toBe(2);
    expect(existsSync(child.file)).toBe(true);
    expect(statSync(image.file).mode & 0o777).toBe(0o444);
    await driver.destroy(child.file);
  }, 120_000);

  it("an expanded image made writable by others is not cloned from", async () => {
    const home = newHome("image-chmod");
    const driver = driverFor(home);
    const image = await driver.prepare([images.a!]);
    chmodSync(image.file, 0o666);
    const e = await driver
      .createLayeredChild([images.a!], path.join(home, "clones", "c-chmod", "disk.qcow2"))
      .then(() => undefined)
      .catch((x: Error) => x);
    // Either refused, or re-expanded (then the image is read-only again).
    if (e === undefined) expect(statSync(image.file).mode & 0o777).toBe(0o444);
    else expect(e.message).toMatch(/writable|modified/);
    for (const f of [".raw", ".json"]) rmSync(path.join(driver.pool.layout.clonesDir, `c-chmod${f}`), { force: true });
  }, 120_000);

  it("an expanded image modified after its expansion is not cloned from as it is", async () => {
    const home = newHome("image-modified");
    const driver = driverFor(home);
    const image = await driver.prepare([images.a!]);
    const before = statSync(image.file);
    // As root (who ignores 0444): a few bytes inside the XFS, e.g. a hand mount with log replay.
    const fd = execFileSync("sh", ["-c", `printf 'tampered' | dd of='${image.file}' bs=1 seek=${200 * MiB} conv=notrunc status=none; echo ok`]);
    expect(String(fd).trim()).toBe("ok");
    expect(statSync(image.file).mtimeMs).not.toBe(before.mtimeMs);
    const e = await driver
      .createLayeredChild([images.a!], path.join(home, "clones", "c-mod", "disk.qcow2"))
      .then(() => undefined)
      .catch((x: Error) => x);
    if (e === undefined) {
      // Re-expanded from the verified blob: the tampered bytes are gone.
      const bytes = execFileSync("sh", ["-c", `dd if='${image.file}' bs=1 skip=${200 * MiB} count=8 status=none`]);
      expect(String(bytes)).not.toBe("tampered");
    } else expect(e.message).toMatch(/modified/);
    for (const f of [".raw", ".json"]) rmSync(path.join(driver.pool.layout.clonesDir, `c-mod${f}`), { force: true });
  }, 120_000);

  it("a symlink planted where the pool directory goes is refused, not mounted through", async () => {
    const home = newHome("pool-symlink");
    const elsewhere = path.join(scratch.root(), "elsewhere");
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, "keep"), "x");
    symlinkSync(elsewhere, path.join(home, "pool"));
    const e = await driverFor(home)
      .prepare([images.a!])
      .then(() => undefined)
      .catch((x: Error) => x);
    expect(mountsUnder(elsewhere)).toEqual([]);
    expect(e?.message).toMatch(/symbolic link/);
  }, 120_000);

  it("a symlink planted where the pool file goes is refused, not loop-mounted", async () => {
    const home = newHome("poolfile-symlink");
    const planted = path.join(scratch.root(), "planted.xfs");
    execFileSync("truncate", ["-s", "320M", planted]);
    execFileSync("mkfs.xfs", ["-q", "-m", "reflink=1", planted]);
    symlinkSync(planted, path.join(home, "pool.xfs"));
    const e = await driverFor(home)
      .prepare([images.a!])
      .then(() => undefined)
      .catch((x: Error) => x);
    expect(loopsUnder(planted)).toEqual([]);
    expect(e?.message).toMatch(/symbolic link/);
  }, 120_000);

  it("a symlink planted where a clone's pool copy or its owner record goes is never written through", async () => {
    const home = newHome("clone-symlink");
    const driver = driverFor(home);
    await driver.prepare([images.a!]);
    const target = path.join(scratch.root(), "precious");
    writeFileSync(target, "precious");
    for (const planted of ["c-sym1.raw", "c-sym2.json"]) {
      const at = path.join(driver.pool.layout.clonesDir, planted);
      symlinkSync(target, at);
      const name = planted.replace(/\.(raw|json)$/, "");
      const e = await driver
        .createLayeredChild([images.a!], path.join(home, "clones", name, "disk.qcow2"))
        .then(() => undefined)
        .catch((x: Error) => x);
      expect(e).toBeInstanceOf(Error);
      expect(readFileSync(target, "utf8")).toBe("precious");
      expect(statSync(target).mode & 0o777).toBe(0o644);
      rmSync(at, { force: true });
    }
  }, 120_000);

  it("gc evicts expanded images no clone used for DBCLONE_POOL_KEEP_DAYS, never one a clone was copied from, and gives their blocks back", async () => {
    const home = newHome("gc-idle");
    const driver = driverFor(home);
    const live = await driver.createLayeredChild([images.a!], path.join(home, "clones", "c-live", "disk.qcow2"));
    const idle = await driver.prepare([images.b!]);
    const poolFile = driver.pool.layout.poolFile;
    const keep = process.env.DBCLONE_POOL_KEEP_DAYS;
    try {
      // Fresh images are kept at the default (7 days).
      delete process.env.DBCLONE_POOL_KEEP_DAYS;
      expect(await driver.sweep()).toEqual([]);
      process.env.DBCLONE_POOL_KEEP_DAYS = "soon";
      expect(await driver.sweep()).toEqual([]); // a bad value is said and evicts nothing
      expect(existsSync(idle.file)).toBe(true);
      process.env.DBCLONE_POOL_KEEP_DAYS = "0";
      execFileSync("sync", ["-f", driver.pool.layout.dir]);
      const before = statSync(poolFile).blocks * 512;
      expect(await driver.sweep()).toEqual([`expanded image ${idle.key.slice(0, 12)} (unused for 0 h)`]);
      expect(existsSync(idle.file)).toBe(false);
      expect(existsSync(live.parents[0]!)).toBe(true);
      // fstrim punched the evicted image's ~4 MiB out of the sparse pool file (the loop device's
      // discards reach the host file a moment later).
      const freed = async () => {
        for (let waited = 0; waited < 10_000; waited += 200) {
          if (before - statSync(poolFile).blocks * 512 > 2 * MiB) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        return before - statSync(poolFile).blocks * 512;
      };
      expect(await freed()).toBeGreaterThan(2 * MiB);
    } finally {
      if (keep === undefined) delete process.env.DBCLONE_POOL_KEEP_DAYS;
      else process.env.DBCLONE_POOL_KEEP_DAYS = keep;
      await driver.destroy(live.file);
    }
  }, 120_000);

  it("removing the pool is refused while a clone uses it, then unmounts it and deletes its file", async () => {
    const home = newHome("remove-pool");
    const driver = driverFor(home);
    const child = await driver.createLayeredChild([images.a!], path.join(home, "clones", "c-held", "disk.qcow2"));
    await expect(driver.removePool()).rejects.toThrow(/still holds clones of 1 image\(s\); tear them down first/);
    expect(mountsUnder(home).length).toBe(1);
    await driver.destroy(child.file);
    expect(await driver.removePool()).toBe(true);
    expect(mountsUnder(home)).toEqual([]);
    expect(loopsUnder(home)).toEqual([]);
    expect(existsSync(driver.pool.layout.poolFile)).toBe(false);
    expect(await driver.removePool()).toBe(false);
  }, 120_000);

  it("a full fixed-size pool evicts an unused image, never the one a live clone was copied from", async () => {
    const home = newHome("evict");
    const big = (name: string) => {
      const file = makeXfsImage(scratch.root(), name, 100);
      return sha256File(file).then((digest) => ({ file, digest }));
    };
    const [inUse, unused, third] = [await big("e1"), await big("e2"), await big("e3")];
    const driver = driverFor(home, 1024 * MiB);
    // Oldest first: the in-use image is the least recently used, so only the in-use rule keeps it.
    const kept = await driver.createLayeredChild([inUse], path.join(home, "clones", "c-keep", "disk.qcow2"));
    await new Promise((r) => setTimeout(r, 20));
    const dropped = await driver.prepare([unused]);
    await new Promise((r) => setTimeout(r, 20));
    const newer = await driver.prepare([images.b!]);
    await new Promise((r) => setTimeout(r, 20));
    // Fill the pool so that the third expansion fits only once one ~100 MB image is evicted.
    const pool = driver.pool.layout.dir;
    const want = statSync(third.file).size + 256 * MiB;
    const free = statfsSync(pool).bavail * statfsSync(pool).bsize;
    execFileSync("fallocate", ["-l", String(free - (want - 40 * MiB)), path.join(pool, "filler")]);
    const made = await driver.prepare([third]);
    expect(existsSync(kept.parents[0]!)).toBe(true);
    expect(existsSync(dropped.file)).toBe(false);
    expect(existsSync(made.file)).toBe(true);
    // Only as much as needed: the newer unused image stays (XFS frees an evicted image's blocks in
    // the background; read at once, the pool looked no emptier and the next image went too).
    expect(existsSync(newer.file)).toBe(true);
    await driver.destroy(kept.file);
  }, 300_000);

  it("a pool mount whose pool file was deleted is not used as if it were the pool", async () => {
    const home = newHome("stale-mount");
    const driver = driverFor(home);
    await driver.prepare([images.a!]);
    const { poolFile, dir } = driver.pool.layout;
    rmSync(poolFile);
    expect(mountsUnder(dir)).toEqual([dir]);
    const e = await driver
      .prepare([images.b!])
      .then(() => undefined)
      .catch((x: Error) => x);
    const backing = loopsUnder(home);
    // Either a clear error, or the pool is the pool file again (the mount's loop backs onto the live file).
    if (e === undefined) expect(backing.every((l) => !l.includes("(deleted)"))).toBe(true);
    else expect(e.message).toMatch(/deleted|pool file/);
  }, 120_000);
});
