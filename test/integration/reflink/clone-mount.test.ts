// A clone's loop mount as the driver makes it (reflink copy + attachClone), on a real pool file:
// reading a file through a new clone leaves the file's atime alone (noatime), so a new clone's
// cold reads queue no inode updates for the XFS log forces of its commits; writing through it leaves
// the clone file's mtime alone (the untimed loop device), so its flushes do not force the pool's log
// for a timestamp; off an XFS pool it falls back to `mount -o loop`; a failed mount leaves no loop
// device. Undone without a trace. Real loop-mounted XFS, no PostgreSQL.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attachClone, detachClone, reflinkCopy, removeCloneFile } from "../../../packages/core/src/disk/reflink/clone.js";
import { ReflinkPool } from "../../../packages/core/src/disk/reflink/pool.js";
import { removePoolFile } from "../../../packages/core/src/disk/reflink/pool-file.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import type { Reporter } from "../../../packages/core/src/reporter.js";
import { forceCleanup } from "../disk/cleanup.js";
import { loopsUnder, mountsUnder } from "./fixture.js";

const canRun = process.platform === "linux" && process.getuid?.() === 0 && existsSync("/dev/loop-control");
const root = mkdtempSync(path.join(os.tmpdir(), "dbclone-clone-mount-"));
const DAY_S = 24 * 3600;

afterAll(() => {
  forceCleanup(root);
  rmSync(root, { recursive: true, force: true });
});

/** An XFS image in the pool holding `data/page` with an atime two days old (relatime would update it on read). */
function makeImage(file: string): { atimeMs: number } {
  const mnt = path.join(root, "src.mnt");
  execFileSync("truncate", ["-s", "320M", file]);
  execFileSync("mkfs.xfs", ["-q", file]);
  mkdirSync(mnt);
  execFileSync("mount", ["-o", "loop", file, mnt]);
  try {
    mkdirSync(path.join(mnt, "data"));
    const page = path.join(mnt, "data", "page");
    writeFileSync(page, "x".repeat(8192));
    const old = Date.now() / 1000 - 2 * DAY_S;
    utimesSync(page, old, old);
    return { atimeMs: statSync(page).atimeMs };
  } finally {
    execFileSync("umount", [mnt]);
    rmSync(mnt, { recursive: true });
  }
}

/** `image` reflink-copied and mounted with plain `mount -o loop,nouuid` (the control), for `fn`; then gone. */
function withPlainLoop(image: string, name: string, fn: (copy: string, mnt: string) => void): void {
  const copy = path.join(path.dirname(path.dirname(image)), "clones", `${name}.raw`);
  execFileSync("cp", ["--reflink=always", image, copy]);
  const mnt = path.join(root, `${name}.mnt`);
  mkdirSync(mnt);
  execFileSync("mount", ["-o", "loop,nouuid", copy, mnt]);
  try {
    fn(copy, mnt);
  } finally {
    execFileSync("umount", [mnt]);
    rmSync(copy);
  }
}

/** A clone of `image` as the driver makes it (reflink copy + attachClone), for `fn`; detached after, its file kept. */
async function withClone(image: string, name: string, fn: (cloneFile: string, mnt: string, loopDevice?: string) => void): Promise<string> {
  const cloneFile = path.join(path.dirname(path.dirname(image)), "clones", `${name}.raw`);
  await reflinkCopy(image, cloneFile, { ownerDir: path.join(root, `owner-${name}`), key: "k" });
  const mnt = path.join(root, `${name}.mnt`);
  const attachment = await attachClone("reflink", cloneFile, mnt, silentReporter);
  try {
    fn(cloneFile, mnt, attachment.handles.loopDevice as string | undefined);
  } finally {
    await detachClone(attachment, silentReporter);
  }
  return cloneFile;
}

describe.skipIf(!canRun)("a reflink clone's mount", () => {
  it("reads without updating atimes, and is undone without a trace", async () => {
    const pool = new ReflinkPool(path.join(root, "home"));
    await pool.prepare(0, new Set());
    const image = path.join(pool.layout.imagesDir, "image.raw");
    const { atimeMs } = makeImage(image);
    // The control: a copy mounted with the default options (relatime) does update the atime on read.
    withPlainLoop(image, "plain", (_copy, plain) => {
      readFileSync(path.join(plain, "data", "page"));
      expect(statSync(path.join(plain, "data", "page")).atimeMs).toBeGreaterThan(atimeMs);
    });
    const cloneFile = await withClone(image, "clone", (_file, mnt) => {
      const page = path.join(mnt, "data", "page");
      expect(readFileSync(page, "utf8")).toHaveLength(8192);
      expect(statSync(page).atimeMs).toBe(atimeMs);
    });
    await removeCloneFile(cloneFile);
    expect(mountsUnder(path.join(root, "clone.mnt"))).toEqual([]);
    expect(loopsUnder(pool.layout.dir)).toEqual([]);
    await removePoolFile(pool.layout);
    expect(mountsUnder(root)).toEqual([]);
    expect(loopsUnder(root)).toEqual([]);
  }, 120_000);

  it("writes through the clone without moving the clone file's mtime; a plain loop mount moves it", async () => {
    const pool = new ReflinkPool(path.join(root, "home-mtime"));
    await pool.prepare(0, new Set());
    const image = path.join(pool.layout.imagesDir, "image.raw");
    makeImage(image);
    const writeAndFlush = (mnt: string) => {
      writeFileSync(path.join(mnt, "data", "page"), "y".repeat(8192));
      execFileSync("sync", [path.join(mnt, "data", "page")]);
    };
    const since = (file: string) => {
      const old = Date.now() / 1000 - DAY_S;
      utimesSync(file, old, old);
      return statSync(file).mtimeMs;
    };
    // The control: the same write through `mount -o loop` moves the file's mtime.
    withPlainLoop(image, "plain-mtime", (copy, plain) => {
      const before = since(copy);
      writeAndFlush(plain);
      expect(statSync(copy).mtimeMs).toBeGreaterThan(before);
    });
    const cloneFile = await withClone(image, "c-mtime", (file, mnt, loopDevice) => {
      expect(loopDevice).toMatch(/^\/dev\/loop\d+$/);
      const before = since(file);
      writeAndFlush(mnt);
      expect(readFileSync(path.join(mnt, "data", "page"), "utf8")).toBe("y".repeat(8192));
      expect(statSync(file).mtimeMs).toBe(before);
    });
    // The data reached the file: mounted again, the write is there.
    const mnt = path.join(root, "c-mtime.mnt");
    const again = await attachClone("reflink", cloneFile, mnt, silentReporter);
    try {
      expect(readFileSync(path.join(mnt, "data", "page"), "utf8")).toBe("y".repeat(8192));
    } finally {
      await detachClone(again, silentReporter);
    }
    await removeCloneFile(cloneFile);
    expect(loopsUnder(pool.layout.dir)).toEqual([]);
    await removePoolFile(pool.layout);
    expect(mountsUnder(root)).toEqual([]);
  }, 120_000);

  it("off an XFS pool falls back to `mount -o loop` and says why; a failed mount leaves no loop device", async () => {
    // The clone file on the host's own filesystem (ext4 here, or whatever tmpdir is): no XFS handles.
    const file = path.join(root, "on-host.raw");
    makeImage(file);
    const notes: string[] = [];
    const reporter: Reporter = { ...silentReporter, info: (m: string) => notes.push(m) };
    const mnt = path.join(root, "on-host.mnt");
    const hostFs = execFileSync("stat", ["-f", "-c", "%T", root], { encoding: "utf8" }).trim();
    const attachment = await attachClone("reflink", file, mnt, reporter);
    try {
      expect(readFileSync(path.join(mnt, "data", "page"), "utf8")).toHaveLength(8192);
      if (hostFs !== "xfs") expect(notes.join("\n")).toMatch(/mount -o loop.*XFS_IOC_FD_TO_HANDLE/s);
    } finally {
      await detachClone(attachment, reporter);
    }
    rmSync(file);
    expect(loopsUnder(root)).toEqual([]);

    // Not a filesystem at all, in an XFS pool: the untimed attach's mount fails, names the file, and detaches its loop device.
    const pool = new ReflinkPool(path.join(root, "home-bad"));
    await pool.prepare(0, new Set());
    const junk = path.join(pool.layout.clonesDir, "c-junk.raw");
    execFileSync("truncate", ["-s", "64M", junk]);
    await expect(attachClone("reflink", junk, path.join(root, "junk.mnt"), silentReporter)).rejects.toThrow(/c-junk\.raw/);
    expect(loopsUnder(pool.layout.dir)).toEqual([]);
    expect(mountsUnder(path.join(root, "junk.mnt"))).toEqual([]);
    rmSync(junk);
    await removePoolFile(pool.layout);
    expect(mountsUnder(root)).toEqual([]);
  }, 120_000);
});
