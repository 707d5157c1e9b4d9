import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DigestMismatchError, ImageInUseError, ImageNotFoundError, ValidationError, VersionExistsError } from "../../../packages/core/src/errors.js";
import { manifestDigest } from "../../../packages/core/src/image/digest.js";
import { parseImageRef } from "../../../packages/core/src/image/reference.js";
import { FsRepository } from "../../../packages/core/src/repository/index.js";
import { makeDiskFile, manifestForDisk, type TestDisk } from "../_helpers/manifest.js";
import { snapshot } from "./snapshot.js";

let dir: string;
let root: string;
let repo: FsRepository;
let disk: TestDisk;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-repo-"));
  root = path.join(dir, "repo");
  repo = new FsRepository(root, { cacheDir: path.join(dir, "cache") });
  disk = await makeDiskFile(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ref = parseImageRef;

describe("FsRepository publish and resolve", () => {
  it("publishes a version into the documented layout", async () => {
    const published = await repo.push(manifestForDisk(disk), disk.path);
    expect(published.manifestDigest).toBe(manifestDigest(published.manifest));
    const hex = disk.digest.slice("sha256:".length);
    const blob = path.join(root, "blobs", "sha256", hex);
    expect((await stat(blob)).mode & 0o777).toBe(0o440);
    const manifestFile = path.join(root, "manifests", "orders-db", "1.0.0.json");
    // The file is the canonical JSON, so its sha256 is the image id.
    expect(
      `sha256:${(await import("node:crypto"))
        .createHash("sha256")
        .update(await readFile(manifestFile))
        .digest("hex")}`,
    ).toBe(published.manifestDigest);
    expect(JSON.parse(await readFile(path.join(root, "dbclone-repository.json"), "utf8"))).toMatchObject({ format: 1 });
    expect(await repo.audit.read()).toMatchObject([{ action: "publish", outcome: "success", image: "orders-db:1.0.0", digest: published.manifestDigest }]);
  });

  it("resolving records the manifest as validated in the cache, and a manifest edited in place is validated again", async () => {
    const published = await repo.push(manifestForDisk(disk), disk.path);
    expect((await repo.resolve(ref("orders-db:1.0.0"))).manifestDigest).toBe(published.manifestDigest);
    const stamps = JSON.parse(await readFile(path.join(dir, "cache", "validated-manifests.json"), "utf8"));
    expect(stamps.digests).toEqual([published.manifestDigest]);
    const file = path.join(root, "manifests", "orders-db", "1.0.0.json");
    await chmod(file, 0o644);
    await writeFile(file, JSON.stringify({ ...published.manifest, engine: { kind: "oracle", version: "19" } }));
    await expect(repo.resolve(ref("orders-db:1.0.0"))).rejects.toThrow(/invalid manifest field 'engine\.kind'/);
  });

  it("resolves by version, by tag, by manifest digest, and a bare name as tag latest", async () => {
    const v1 = await repo.push(manifestForDisk(disk), disk.path);
    const disk2 = await makeDiskFile(dir);
    const v2 = await repo.push(manifestForDisk(disk2, { version: "1.1.0" }), disk2.path);
    await expect(repo.resolve(ref("orders-db"))).rejects.toThrow(/orders-db:latest not found.*no version or tag 'latest'/);
    await repo.tag(v2, "latest");
    await repo.tag(v1, "main");
    expect((await repo.resolve(ref("orders-db:1.0.0"))).manifestDigest).toBe(v1.manifestDigest);
    expect((await repo.resolve(ref("orders-db"))).version).toBe("1.1.0");
    expect((await repo.resolve(ref("orders-db:main"))).version).toBe("1.0.0");
    expect((await repo.resolve(ref(`orders-db@${v2.manifestDigest}`))).version).toBe("1.1.0");
    await expect(repo.resolve(ref(`orders-db:1.0.0@${v2.manifestDigest}`))).rejects.toThrow(ImageNotFoundError);
    await expect(repo.resolve(ref("orders-db:9"))).rejects.toThrow(ImageNotFoundError);
    // A variant is its own image (orders-db/variants/analysts); none was published here.
    await expect(repo.resolve(ref("orders-db+analysts:1.0.0"))).rejects.toThrow(ImageNotFoundError);
  });

  it("refuses to overwrite an existing version", async () => {
    await repo.push(manifestForDisk(disk), disk.path);
    const other = await makeDiskFile(dir);
    const fn = repo.push(manifestForDisk(other, { labels: { x: "y" } }), other.path);
    await expect(fn).rejects.toThrow(VersionExistsError);
    await expect(repo.push(manifestForDisk(other), other.path)).rejects.toThrow(
      "image orders-db version 1.0.0 already exists; versions are immutable: choose a new version",
    );
  });

  it("lets one of several concurrent publishers of a version win and leaves no loser's blob", async () => {
    const disks = await Promise.all([1, 2, 3, 4].map(() => makeDiskFile(dir)));
    const results = await Promise.allSettled(disks.map((d) => repo.push(manifestForDisk(d), d.path)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((r) => r.status === "rejected")) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(VersionExistsError);
    const winner = (await repo.resolve(ref("orders-db:1.0.0"))).manifest.disk.digest;
    expect(await readdir(path.join(root, "blobs", "sha256"))).toEqual([winner.slice(7)]);
    expect(await repo.audit.verify()).toEqual({ ok: true, events: 4 });
  });

  it("refuses a disk whose digest differs from the manifest and publishes nothing", async () => {
    const other = await makeDiskFile(dir);
    const lying = manifestForDisk({ ...other, digest: disk.digest });
    await expect(repo.push(lying, other.path)).rejects.toThrow(DigestMismatchError);
    await expect(repo.resolve(ref("orders-db:1.0.0"))).rejects.toThrow(ImageNotFoundError);
    expect(await readdir(path.join(root, "blobs", "sha256"))).toEqual([]);
    expect(await repo.audit.read()).toMatchObject([{ action: "publish", outcome: "failure" }]);
  });

  it("writes nothing for a bad manifest or a disk of the wrong size", async () => {
    const before = await snapshot(root);
    const bad = { ...manifestForDisk(disk), name: "Not Valid" };
    await expect(repo.push(bad, disk.path)).rejects.toThrow(/invalid manifest field 'name'/);
    await expect(repo.push(manifestForDisk({ ...disk, sizeBytes: 1 }), disk.path)).rejects.toThrow(ValidationError);
    await expect(repo.push(manifestForDisk(disk), path.join(dir, "nope.qcow2"))).rejects.toThrow(/does not exist/);
    expect(await snapshot(root)).toEqual(before);
    expect(before).toEqual(["<missing>"]);
  });

  it("shares one blob between versions with identical disks", async () => {
    await repo.push(manifestForDisk(disk), disk.path);
    await repo.push(manifestForDisk(disk, { version: "1.0.1" }), disk.path);
    expect(await readdir(path.join(root, "blobs", "sha256"))).toHaveLength(1);
  });

  it("removes temps left by a dead publisher", async () => {
    await repo.push(manifestForDisk(disk), disk.path);
    const stale = path.join(root, "blobs", "sha256", `.tmp-${os.hostname()}-999999-abcdef`);
    await writeFile(stale, "partial");
    const disk2 = await makeDiskFile(dir);
    await repo.push(manifestForDisk(disk2, { version: "2" }), disk2.path);
    await expect(stat(stale)).rejects.toThrow(/ENOENT/);
  });
});

describe("FsRepository pull", () => {
  it("returns the verified blob and skips re-hashing an unchanged blob", async () => {
    const image = await repo.push(manifestForDisk(disk), disk.path);
    const fresh = new FsRepository(root, { cacheDir: path.join(dir, "cache2") });
    let hashed = 0;
    const blob = await fresh.pull(image, { onProgress: () => hashed++ });
    expect(await readFile(blob)).toEqual(await readFile(disk.path));
    expect(hashed).toBeGreaterThan(0);
    hashed = 0;
    await fresh.pull(image, { onProgress: () => hashed++ });
    expect(hashed).toBe(0);
  });

  it("detects a corrupted blob even after it was verified once", async () => {
    const image = await repo.push(manifestForDisk(disk), disk.path);
    const blob = await repo.pull(image);
    await chmod(blob, 0o644);
    const bytes = await readFile(blob);
    bytes[10] = bytes[10]! ^ 0xff;
    await writeFile(blob, bytes);
    await expect(repo.pull(image)).rejects.toThrow(DigestMismatchError);
    await expect(repo.pull(image)).rejects.toThrow(/is corrupt/);
  });
});

describe("FsRepository tags, list and delete", () => {
  it("lists versions with their tags and moves tags atomically", async () => {
    const v1 = await repo.push(manifestForDisk(disk), disk.path);
    const v2 = await repo.push(manifestForDisk(disk, { version: "2.0", created: "2024-02-01T00:00:00.000Z" }), disk.path);
    await repo.tag(v1, "latest");
    await repo.tag(v2, "latest");
    await repo.tag(v2, "stable");
    expect(await repo.tags("orders-db")).toEqual({ latest: "2.0", stable: "2.0" });
    const listed = await repo.list();
    expect(listed.map((s) => [s.version, s.tags])).toEqual([
      ["1.0.0", []],
      ["2.0", ["latest", "stable"]],
    ]);
    expect(await repo.list("other")).toEqual([]);
    await repo.untag("orders-db", "stable");
    await expect(repo.untag("orders-db", "stable")).rejects.toThrow(/has no tag 'stable'/);
    await expect(repo.tag(v2, "1.0.0")).rejects.toThrow(/must not shadow a version/);
    await expect(repo.tag(v2, "-bad")).rejects.toThrow(/tag '-bad' must be/);
  });

  it("handles nested image names", async () => {
    await repo.push(manifestForDisk(disk, { name: "team/orders" }), disk.path);
    await repo.push(manifestForDisk(disk, { name: "team" }), disk.path);
    expect((await repo.list()).map((s) => s.name)).toEqual(["team", "team/orders"]);
  });

  it("refuses to delete a version a tag, a child version or a live clone references", async () => {
    const v1 = await repo.push(manifestForDisk(disk), disk.path);
    await repo.tag(v1, "latest");
    await expect(repo.delete(v1, { liveCloneDigests: [] })).rejects.toThrow(/cannot delete orders-db:1.0.0: still referenced by tag 'latest'/);
    await repo.untag("orders-db", "latest");

    const child = await repo.push(manifestForDisk(disk, { version: "1.1", parent: v1.manifestDigest }), disk.path);
    await expect(repo.delete(v1, { liveCloneDigests: [] })).rejects.toThrow(/version orders-db:1.1 \(its parent\)/);
    await expect(repo.delete(child, { liveCloneDigests: [child.manifestDigest] })).rejects.toThrow(ImageInUseError);
    await expect(repo.delete(child, { liveCloneDigests: [child.manifestDigest] })).rejects.toThrow(/a live clone/);

    await repo.delete(child, { liveCloneDigests: [] });
    // The blob is still used by 1.0.0.
    expect(await readdir(path.join(root, "blobs", "sha256"))).toHaveLength(1);
    await repo.delete(v1, { liveCloneDigests: [] });
    expect(await readdir(path.join(root, "blobs", "sha256"))).toEqual([]);
    await expect(repo.resolve(ref("orders-db:1.0.0"))).rejects.toThrow(ImageNotFoundError);
    await expect(repo.delete(v1, { liveCloneDigests: [] })).rejects.toThrow(ImageNotFoundError);

    const actions = (await repo.audit.read()).map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual([
      "publish:success",
      "tag:success",
      "delete:failure",
      "untag:success",
      "publish:success",
      "delete:failure",
      "delete:failure",
      "delete:failure",
      "delete:success",
      "delete:success",
    ]);
    expect(await repo.audit.verify()).toMatchObject({ ok: true, events: 10 });
  });

  it("force-deletes through tags but never through a live clone", async () => {
    const v1 = await repo.push(manifestForDisk(disk), disk.path);
    await repo.tag(v1, "latest");
    await expect(repo.delete(v1, { liveCloneDigests: [v1.manifestDigest], force: true })).rejects.toThrow(/a live clone/);
    await repo.delete(v1, { liveCloneDigests: [], force: true });
    expect(await repo.tags("orders-db")).toEqual({});
  });
});

describe("repository location checks", () => {
  it("is refused before anything is written when the root is a foreign directory", async () => {
    await mkdir(root);
    await writeFile(path.join(root, "notes.txt"), "mine");
    const before = await snapshot(root);
    await expect(repo.push(manifestForDisk(disk), disk.path)).rejects.toThrow(/is not a dbclone repository .* and is not empty \(notes.txt\)/);
    expect(await snapshot(root)).toEqual(before);
  });
});
