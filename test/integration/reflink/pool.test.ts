// The pool file on a host without reflinks (ext4 here): made on first use, grown in place while
// mounted (truncate, losetup -c, xfs_growfs) when an expansion needs room, never grown past a
// fixed DBCLONE_POOL_SIZE, and removed with its mount and loop device.
import { existsSync, mkdtempSync, rmSync, statSync, statfsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ReflinkPool } from "../../../packages/core/src/disk/reflink/pool.js";
import { removePoolFile } from "../../../packages/core/src/disk/reflink/pool-file.js";
import { DiskFullError } from "../../../packages/core/src/errors.js";
import { forceCleanup } from "../disk/cleanup.js";
import { loopsUnder, mountsUnder } from "./fixture.js";

const canRun = process.platform === "linux" && process.getuid?.() === 0 && existsSync("/dev/loop-control");
const root = mkdtempSync(path.join(os.tmpdir(), "dbclone-pool-"));
const GiB = 1024 ** 3;
const fsBytes = (dir: string) => statfsSync(dir).blocks * statfsSync(dir).bsize;

afterAll(() => {
  forceCleanup(root);
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!canRun)("reflink pool file", () => {
  it("is made on first use, grows in place while mounted, and is removed without a trace", async () => {
    const pool = new ReflinkPool(path.join(root, "grow"));
    await pool.prepare(0, new Set());
    const { poolFile, dir } = pool.layout;
    expect(await pool.usesPoolFile()).toBe(true);
    expect(mountsUnder(dir)).toEqual([dir]);
    const before = { file: statSync(poolFile).size, fs: fsBytes(dir) };
    expect(before.file).toBe(2 * GiB);

    await pool.prepare(3 * GiB, new Set());
    expect(statSync(poolFile).size).toBeGreaterThan(before.file + GiB);
    expect(fsBytes(dir)).toBeGreaterThan(before.fs + GiB);
    expect(loopsUnder(root)).toHaveLength(1);

    await removePoolFile(pool.layout);
    expect(mountsUnder(root)).toEqual([]);
    expect(loopsUnder(root)).toEqual([]);
    expect(existsSync(poolFile)).toBe(false);
  }, 120_000);

  it("never grows past a fixed size: a clear error naming the pool and its free space", async () => {
    const pool = new ReflinkPool(path.join(root, "fixed"), { sizeBytes: 512 * 1024 ** 2 });
    await pool.prepare(0, new Set());
    const size = statSync(pool.layout.poolFile).size;
    const e = await pool.prepare(GiB, new Set()).catch((x: Error) => x);
    expect(e).toBeInstanceOf(DiskFullError);
    expect((e as Error).message).toMatch(new RegExp(`reflink pool ${pool.layout.dir} is full: \\d+ MB free, .*\\(fixed at 512 MB by DBCLONE_POOL_SIZE`));
    expect(statSync(pool.layout.poolFile).size).toBe(size);
    await removePoolFile(pool.layout);
    expect(loopsUnder(root)).toEqual([]);
  }, 120_000);
});
