// A clone's loop mount as the driver makes it (reflink copy + attachClone), on a real pool file:
// reading a file through a new clone leaves the file's atime alone (noatime), so a new clone's
// cold reads queue no inode updates for the XFS log forces of its commits. Undone without a trace.
// Real loop-mounted XFS, no PostgreSQL.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attachClone, detachClone, reflinkCopy, removeCloneFile } from "../../../packages/core/src/disk/reflink/clone.js";
import { ReflinkPool } from "../../../packages/core/src/disk/reflink/pool.js";
import { removePoolFile } from "../../../packages/core/src/disk/reflink/pool-file.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
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

describe.skipIf(!canRun)("a reflink clone's mount", () => {
  it("reads without updating atimes, and is undone without a trace", async () => {
    const pool = new ReflinkPool(path.join(root, "home"));
    await pool.prepare(0, new Set());
    const image = path.join(pool.layout.imagesDir, "image.raw");
    const { atimeMs } = makeImage(image);
    // The control: a copy mounted with the default options (relatime) does update the atime on read.
    const control = path.join(pool.layout.clonesDir, "control.raw");
    execFileSync("cp", ["--reflink=always", image, control]);
    const plain = path.join(root, "plain.mnt");
    mkdirSync(plain);
    execFileSync("mount", ["-o", "loop,nouuid", control, plain]);
    try {
      readFileSync(path.join(plain, "data", "page"));
      expect(statSync(path.join(plain, "data", "page")).atimeMs).toBeGreaterThan(atimeMs);
    } finally {
      execFileSync("umount", [plain]);
      rmSync(control);
    }

    const cloneFile = path.join(pool.layout.clonesDir, "c-test.raw");
    await reflinkCopy(image, cloneFile, { ownerDir: path.join(root, "owner"), key: "k" });
    const mnt = path.join(root, "clone.mnt");
    const attachment = await attachClone("reflink", cloneFile, mnt, silentReporter);
    try {
      const page = path.join(mnt, "data", "page");
      expect(readFileSync(page, "utf8")).toHaveLength(8192);
      expect(statSync(page).atimeMs).toBe(atimeMs);
    } finally {
      await detachClone(attachment, silentReporter);
    }
    await removeCloneFile(cloneFile);
    expect(mountsUnder(path.join(root, "clone.mnt"))).toEqual([]);
    expect(loopsUnder(pool.layout.dir)).toEqual([]);
    await removePoolFile(pool.layout);
    expect(mountsUnder(root)).toEqual([]);
    expect(loopsUnder(root)).toEqual([]);
  }, 120_000);
});
