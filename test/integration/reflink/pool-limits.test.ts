// The reflink pool's limits for clones: a clone is a reflink copy that costs nothing when made but
// grows as it is written, so room for its writes is made (pool grown, unused images evicted) before
// the copy, and a fixed pool too full for them refuses the clone plainly, leaving nothing behind.
// And the pool's own directories: a symlink planted where one goes, or a clone record naming
// paths outside the pool, never makes gc, teardown or unmount act outside the pool.
// Real loop-mounted XFS, no PostgreSQL.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReflinkDriver } from "../../../packages/core/src/disk/index.js";
import { DiskFullError } from "../../../packages/core/src/errors.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { expandedImages, loopsUnder, mountsUnder, poolScratch } from "./fixture.js";

const canRun = process.platform === "linux" && process.getuid?.() === 0 && existsSync("/dev/loop-control");
const scratch = poolScratch("dbclone-pool-limits-", { a: 40, b: 60 });
const { images, driverFor } = scratch;
const newHome = scratch.newHome;
const MiB = 1024 * 1024;
/** What the pool keeps free beyond a clone's own bound (pool.ts). */
const HEADROOM = 256 * MiB;
const free = (dir: string) => statfsSync(dir).bavail * statfsSync(dir).bsize;
/** Fill the pool so that exactly `left` bytes stay free. */
const fillTo = (dir: string, left: number) => execFileSync("fallocate", ["-l", String(free(dir) - left), path.join(dir, "filler")]);
const childOf = (home: string, name: string) => path.join(home, "clones", name, "disk.qcow2");
const indexKeys = (driver: ReflinkDriver) => Object.keys(JSON.parse(readFileSync(path.join(driver.pool.layout.imagesDir, "index.json"), "utf8"))).sort();

describe.skipIf(!canRun)("reflink pool limits for clones", () => {
  beforeAll(() => scratch.setUp(), 300_000);

  afterAll(async () => {
    expect(await scratch.tearDown()).toEqual({ mounts: [], loops: [] });
  }, 120_000);

  it("a fixed pool without room for a clone's writes refuses it clearly, makes nothing, and clones again once freed", async () => {
    const home = newHome("fixed-full");
    const driver = driverFor(home, 512 * MiB);
    const image = await driver.prepare([images.a!]);
    const bound = statSync(image.file).blocks * 512;
    const pool = driver.pool.layout.dir;
    fillTo(pool, bound + HEADROOM - 40 * MiB);

    const e = await driver.createLayeredChild([images.a!], childOf(home, "c-full")).catch((x: Error) => x);
    expect(e).toBeInstanceOf(DiskFullError);
    const message = (e as Error).message;
    expect(message).toMatch(/reflink pool .* is full: \d+ MB free, a clone of the image may write about \d+ MB; nothing was made/);
    for (const wayOut of ["DBCLONE_POOL_SIZE", "dbclone teardown", "dbclone gc", "--disk qcow2"]) expect(message).toContain(wayOut);
    // Nothing half-made: no copy, owner record, loop or mount; the image and the index as they were.
    expect(readdirSync(driver.pool.layout.clonesDir)).toEqual([]);
    expect(loopsUnder(driver.pool.layout.clonesDir)).toEqual([]);
    expect(mountsUnder(pool)).toEqual([pool]);
    expect(expandedImages(home)).toEqual([`${image.key}.raw`]);
    expect(indexKeys(driver)).toEqual([image.key]);

    // The pool is usable again once there is room: the same clone is made, mounted and written.
    rmSync(path.join(pool, "filler"));
    const child = await driver.createLayeredChild([images.a!], childOf(home, "c-full"));
    const attachment = await driver.mount(child, path.join(home, "clones", "c-full", "mnt"));
    writeFileSync(path.join(attachment.mountPath, "written"), "ok");
    await driver.unmount(attachment);
    await driver.destroy(child.file);
    expect(readdirSync(driver.pool.layout.clonesDir)).toEqual([]);
  }, 300_000);

  it("a fixed pool short of room for a clone evicts an unused image first, never the cloned one", async () => {
    const home = newHome("fixed-evict");
    const driver = driverFor(home, 768 * MiB);
    const unused = await driver.prepare([images.b!]);
    await new Promise((r) => setTimeout(r, 20));
    const image = await driver.prepare([images.a!]);
    const bound = statSync(image.file).blocks * 512;
    const pool = driver.pool.layout.dir;
    // Short by 20 MB: the unused ~60 MB image makes the room.
    fillTo(pool, bound + HEADROOM - 20 * MiB);

    const child = await driver.createLayeredChild([images.a!], childOf(home, "c-evict"));
    expect(existsSync(child.file)).toBe(true);
    expect(existsSync(image.file)).toBe(true);
    expect(existsSync(unused.file)).toBe(false);
    expect(indexKeys(driver)).toEqual([image.key]);
    await driver.destroy(child.file);
  }, 300_000);

  it("a growable pool is grown to hold a clone's writes before the copy", async () => {
    const home = newHome("growable");
    const driver = driverFor(home);
    const image = await driver.prepare([images.a!]);
    const bound = statSync(image.file).blocks * 512;
    const pool = driver.pool.layout.dir;
    fillTo(pool, bound + HEADROOM - 40 * MiB);
    const sizeBefore = statSync(driver.pool.layout.poolFile).size;

    const child = await driver.createLayeredChild([images.a!], childOf(home, "c-grow"));
    expect(statSync(driver.pool.layout.poolFile).size).toBeGreaterThan(sizeBefore);
    expect(free(pool)).toBeGreaterThanOrEqual(bound + HEADROOM);
    await driver.destroy(child.file);
  }, 300_000);

  it("on the host's own filesystem (no pool file) a clone short of room is made, with a warning", async () => {
    const xfsFile = path.join(scratch.root(), "host-xfs.raw");
    const hostDir = path.join(scratch.root(), "host-xfs");
    execFileSync("truncate", ["-s", "1G", xfsFile]);
    execFileSync("mkfs.xfs", ["-q", "-m", "reflink=1", xfsFile]);
    mkdirSync(hostDir);
    execFileSync("mount", ["-o", "loop", xfsFile, hostDir]);
    try {
      const home = path.join(hostDir, "home");
      mkdirSync(home, { mode: 0o711 });
      const warnings: string[] = [];
      const driver = new ReflinkDriver({ home, stateDir: path.join(home, "state"), reporter: { ...silentReporter, warn: (m) => warnings.push(m) } });
      const image = await driver.prepare([images.a!]);
      expect(existsSync(driver.pool.layout.poolFile)).toBe(false);
      fillTo(hostDir, statSync(image.file).blocks * 512 + HEADROOM - 40 * MiB);
      const child = await driver.createLayeredChild([images.a!], childOf(home, "c-host"));
      expect(existsSync(child.file)).toBe(true);
      expect(warnings.join("\n")).toMatch(/host's filesystem\) has \d+ MB free; a clone of this image may write about \d+ MB/);
      await driver.destroy(child.file);
    } finally {
      execFileSync("umount", [hostDir]);
    }
  }, 120_000);

  it("a symlink planted as the pool's images directory: gc deletes nothing where it points", async () => {
    const home = newHome("images-symlink");
    const driver = driverFor(home);
    await driver.prepare([images.a!]);
    const { imagesDir } = driver.pool.layout;
    const elsewhere = path.join(scratch.root(), "images-elsewhere");
    mkdirSync(elsewhere);
    // What gc would remove in the images directory: a dead holder's lock, a killed expansion's
    // temp file (pid 2^22 + 1 is above pid_max: never alive), an unused indexed image.
    const key = "e".repeat(64);
    const planted = ["old.lock", `${key}.raw.tmp-4194305-abcd`, `${key}.raw`];
    for (const name of planted) writeFileSync(path.join(elsewhere, name), "not the pool's");
    utimesSync(path.join(elsewhere, "old.lock"), new Date(0), new Date(0));
    writeFileSync(path.join(elsewhere, "index.json"), JSON.stringify({ [key]: { layers: [], bytes: 1, lastUsedMs: 0 } }));
    renameSync(imagesDir, `${imagesDir}.real`);
    symlinkSync(elsewhere, imagesDir);
    const keep = process.env.DBCLONE_POOL_KEEP_DAYS;
    process.env.DBCLONE_POOL_KEEP_DAYS = "0";
    try {
      await driver.sweep().catch(() => undefined);
      for (const name of planted) expect(existsSync(path.join(elsewhere, name)), name).toBe(true);
      // Nor is a clone made through it.
      await expect(driver.prepare([images.a!])).rejects.toThrow(/symbolic link/);
    } finally {
      if (keep === undefined) delete process.env.DBCLONE_POOL_KEEP_DAYS;
      else process.env.DBCLONE_POOL_KEEP_DAYS = keep;
      rmSync(imagesDir);
      renameSync(`${imagesDir}.real`, imagesDir);
    }
  }, 120_000);

  it("a symlink planted as the pool's clones directory: gc lists nothing there and teardown deletes nothing there", async () => {
    const home = newHome("clones-symlink");
    const driver = driverFor(home);
    await driver.prepare([images.a!]);
    const { clonesDir } = driver.pool.layout;
    const elsewhere = path.join(scratch.root(), "clones-elsewhere");
    mkdirSync(elsewhere);
    const ownerDir = path.join(home, "clones", "c-planted");
    writeFileSync(path.join(elsewhere, "c-planted.raw"), "not the pool's");
    writeFileSync(path.join(elsewhere, "c-planted.json"), JSON.stringify({ ownerDir, key: "e".repeat(64) }));
    rmSync(clonesDir, { recursive: true });
    symlinkSync(elsewhere, clonesDir);
    try {
      const listed = await driver.list(path.join(home, "clones")).catch(() => []);
      for (const r of listed) await driver.release(r).catch(() => undefined);
      await driver.destroy(path.join(ownerDir, "disk.qcow2")).catch(() => undefined);
      expect(readdirSync(elsewhere).sort()).toEqual(["c-planted.json", "c-planted.raw"]);
      await expect(driver.destroy(path.join(ownerDir, "disk.qcow2"))).rejects.toThrow(/symbolic link/);
    } finally {
      rmSync(clonesDir);
      mkdirSync(clonesDir, { mode: 0o700 });
    }
  }, 120_000);

  it("unmount refuses an attachment whose file or mount point is not a clone's in this pool (a tampered record)", async () => {
    const home = newHome("tampered-record");
    const driver = driverFor(home);
    await driver.prepare([images.a!]);
    // Someone else's loop-mounted XFS outside the pool.
    const victim = path.join(scratch.root(), "victim.raw");
    const victimMount = path.join(scratch.root(), "victim.mnt");
    execFileSync("truncate", ["-s", "320M", victim]);
    execFileSync("mkfs.xfs", ["-q", victim]);
    mkdirSync(victimMount);
    execFileSync("mount", ["-o", "loop", victim, victimMount]);
    try {
      const inPool = path.join(driver.pool.layout.clonesDir, "c-tampered.raw");
      for (const attachment of [
        { driver: "reflink", file: victim, mountPath: path.join(home, "clones", "c-tampered", "mnt"), handles: {} },
        { driver: "reflink", file: inPool, mountPath: victimMount, handles: {} },
      ]) {
        await expect(driver.unmount(attachment)).rejects.toThrow(/not a clone of the reflink pool/);
        expect(mountsUnder(victimMount)).toEqual([victimMount]);
        expect(loopsUnder(victim)).toHaveLength(1);
      }
    } finally {
      execFileSync("umount", [victimMount]);
    }
    expect(loopsUnder(victim)).toEqual([]);
  }, 120_000);
});
