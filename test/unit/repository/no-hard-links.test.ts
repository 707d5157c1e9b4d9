// A directory repository on a share that refuses hard links (some SMB mounts answer link() with
// EPERM, ENOTSUP, EOPNOTSUPP or ENOSYS): publishing falls back to an exclusive create, which is
// still first-wins, and any other link error is reported as it is. SMB cannot be mounted here, so
// link() answers as such a share does; every other file operation is the real one.
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DiskFullError, VersionExistsError } from "../../../packages/core/src/errors.js";
import { canonicalJson } from "../../../packages/core/src/image/digest.js";
import { FsRepository } from "../../../packages/core/src/repository/index.js";
import { makeDiskFile, manifestForDisk, type TestDisk } from "../_helpers/manifest.js";

const share = vi.hoisted(() => ({ linkError: undefined as string | undefined, createError: undefined as string | undefined }));
vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  const link: typeof real.link = async (from, to) => {
    if (share.linkError) throw Object.assign(new Error(`${share.linkError}: link refused by the share`), { code: share.linkError });
    return real.link(from, to);
  };
  // The share can also fail the exclusive create of a version's manifest (a full disk, say).
  const open: typeof real.open = async (file, flags, mode) => {
    const name = path.basename(String(file));
    if (share.createError && flags === "wx" && name.endsWith(".json") && !name.startsWith(".tmp")) {
      throw Object.assign(new Error(`${share.createError}: create refused by the share`), { code: share.createError });
    }
    return real.open(file, flags, mode);
  };
  return { ...real, default: { ...real, link, open }, link, open };
});

let dir: string;
let root: string;
let repo: FsRepository;
let disk: TestDisk;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-nolinks-"));
  root = path.join(dir, "repo");
  repo = new FsRepository(root, { cacheDir: path.join(dir, "cache") });
  disk = await makeDiskFile(dir);
  // The repository's layout (its config file is linked into place too) exists before the share
  // starts refusing: only the version links are under test here.
  await repo.push(manifestForDisk(disk, { name: "layout-db" }), disk.path);
});
afterEach(async () => {
  share.linkError = undefined;
  share.createError = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe("a repository on a share that refuses hard links", () => {
  for (const code of ["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"]) {
    it(`publishes through an exclusive create when link() fails with ${code}, and a second publisher of the version loses`, async () => {
      share.linkError = code;
      const manifest = manifestForDisk(disk);
      await repo.push(manifest, disk.path);
      const file = path.join(root, "manifests", "orders-db", "1.0.0.json");
      expect(await readFile(file, "utf8")).toBe(canonicalJson(manifest));
      expect((await stat(file)).mode & 0o777).toBe(0o444);
      expect(await readdir(path.join(root, "manifests", "orders-db"))).toEqual(["1.0.0.json"]);
      const other = await makeDiskFile(dir);
      await expect(repo.push(manifestForDisk(other), other.path)).rejects.toThrow(VersionExistsError);
      expect(await readFile(file, "utf8")).toBe(canonicalJson(manifest));
    });
  }

  it("sets up a brand-new repository there too: its config file is placed by the exclusive create", async () => {
    share.linkError = "EPERM";
    const freshRoot = path.join(dir, "new-repo");
    const fresh = new FsRepository(freshRoot, { cacheDir: path.join(dir, "cache2") });
    await fresh.push(manifestForDisk(disk, { name: "first-db" }), disk.path);
    expect(JSON.parse(await readFile(path.join(freshRoot, "dbclone-repository.json"), "utf8")).format).toBeDefined();
    expect((await readdir(freshRoot)).filter((n) => n.startsWith(".tmp"))).toEqual([]);
  });

  it("reports any other link error as it is (a broken share is not a version that exists) and links nothing", async () => {
    share.linkError = "EIO";
    const fresh = await makeDiskFile(dir); // a disk no version references yet
    const error = await repo.push(manifestForDisk(fresh), fresh.path).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(VersionExistsError);
    expect((error as NodeJS.ErrnoException).code).toBe("EIO");
    expect(await readdir(path.join(root, "manifests", "orders-db"))).toEqual([]);
    // The copied blob stays for the next attempt (gc removes it if none comes).
    expect((await stat(path.join(root, "blobs", "sha256", fresh.digest.slice(7)))).size).toBe(fresh.sizeBytes);
  });

  it("a share that refuses the exclusive create too (full, say) reports that, not a version that exists", async () => {
    share.linkError = "EPERM";
    share.createError = "ENOSPC";
    const error = await repo.push(manifestForDisk(disk), disk.path).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(VersionExistsError);
    expect(error).toBeInstanceOf(DiskFullError);
    expect((error as Error).message).toMatch(/^no space left while publishing orders-db:1\.0\.0 to /);
    expect(await readdir(path.join(root, "manifests", "orders-db"))).toEqual([]);
  });

  it("of several publishers racing for one version under the exclusive create, one wins and the rest are told the version exists", async () => {
    share.linkError = "EPERM";
    const disks = await Promise.all([1, 2, 3].map(() => makeDiskFile(dir)));
    const results = await Promise.allSettled(disks.map((d) => repo.push(manifestForDisk(d), d.path)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((r) => r.status === "rejected")) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(VersionExistsError);
  });
});
