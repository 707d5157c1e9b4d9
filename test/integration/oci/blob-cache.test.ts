// Integration tier: its clone-registry cases reserve real ports (the unit tier is hermetic).
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CloneRegistry, diskDigestsInUse } from "../../../packages/core/src/clones/registry.js";
import { UsageError } from "../../../packages/core/src/errors.js";
import { BlobCache } from "../../../packages/core/src/repository/cache/index.js";
import { defaultCacheDir } from "../../../packages/core/src/repository/cache/cache-dir.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-cache-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const blobOf = (bytes: Buffer) => ({ bytes, digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}` });

describe("BlobCache", () => {
  it("runs one producer for concurrent requests of the same blob", async () => {
    const { bytes, digest } = blobOf(randomBytes(1000));
    let produced = 0;
    const produce = async (t: { tempFile: string }) => {
      produced++;
      await new Promise((r) => setTimeout(r, 50));
      await writeFile(t.tempFile, bytes);
    };
    const [a, b] = await Promise.all([new BlobCache(dir).obtain(digest, produce), new BlobCache(dir).obtain(digest, produce)]);
    expect(produced).toBe(1);
    expect([a.downloaded, b.downloaded].sort()).toEqual([false, true]);
    expect(a.path).toBe(path.join(dir, "blobs", "sha256", digest.slice(7)));
  });

  it("throws away a cached blob that no longer matches its digest", async () => {
    const { bytes, digest } = blobOf(randomBytes(100));
    const cache = new BlobCache(dir);
    const { path: file } = await cache.obtain(digest, async (t) => writeFile(t.tempFile, bytes));
    chmodSync(file, 0o644);
    writeFileSync(file, "tampered");
    expect(await cache.lookup(digest)).toBeUndefined();
    expect(existsSync(file)).toBe(false);
  });

  it("evicts least recently used blobs past the limit, never a protected or recent one", async () => {
    const blobs = [0, 1, 2, 3].map(() => blobOf(randomBytes(1000)));
    const cache = new BlobCache(dir, { maxBytes: 2500, graceMs: 60_000, inUse: async () => new Set([blobs[0]!.digest]) });
    for (const b of blobs.slice(0, 3)) await cache.obtain(b.digest, async (t) => writeFile(t.tempFile, b.bytes));
    // Pretend blobs 0..2 were last used an hour ago, 0 the longest.
    await cache.index.update((e) => {
      for (const [i, b] of blobs.slice(0, 3).entries()) e[b.digest]!.lastUsedMs = Date.now() - 3600_000 + i * 1000;
    });
    await cache.obtain(blobs[3]!.digest, async (t) => writeFile(t.tempFile, blobs[3]!.bytes));
    const present = blobs.map((b) => existsSync(cache.blobPath(b.digest)));
    // 4000 bytes > 2500: 0 is protected (a live clone) and 3 was just pulled, so 1 then 2 go (oldest first).
    expect(present).toEqual([true, false, false, true]);
    expect(await cache.usage()).toBe(2000);
  });

  it("lives in the runner tool cache in GitHub Actions, else under DBCLONE_HOME", () => {
    expect(defaultCacheDir({ GITHUB_ACTIONS: "true", RUNNER_TOOL_CACHE: "/opt/hostedtoolcache" })).toBe("/opt/hostedtoolcache/dbclone");
    expect(defaultCacheDir({ DBCLONE_HOME: "/srv/dbclone" })).toBe("/srv/dbclone/cache");
  });
});

describe("BlobCache eviction and the clone registry", () => {
  let homes: string;
  beforeEach(() => {
    homes = mkdtempSync(path.join(os.tmpdir(), "dbclone-homes-"));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(homes, { recursive: true, force: true });
  });

  it("keeps the base a clone of the --home in use reads, not what the default home's registry says", async () => {
    const used = path.join(homes, "used"); // --home X: its clone reads blob 0
    const other = path.join(homes, "default"); // DBCLONE_HOME: no clones
    vi.stubEnv("DBCLONE_HOME", other);
    const blobs = [0, 1, 2].map(() => blobOf(randomBytes(1000)));
    await new CloneRegistry(used).reserve({
      image: { name: "shop", version: "v1", manifestDigest: blobs[0]!.digest, diskDigest: blobs[0]!.digest },
      engine: "postgres",
      host: "127.0.0.1",
      runtime: "host",
      password: "x",
      databases: ["shop"],
      labels: {},
      repository: "oci://127.0.0.1/r",
    });
    const cache = new BlobCache(dir, { maxBytes: 1500, graceMs: 0, inUse: diskDigestsInUse(used) });
    for (const b of blobs.slice(0, 2)) await cache.obtain(b.digest, async (t) => writeFile(t.tempFile, b.bytes));
    await cache.index.update((e) => {
      for (const [i, b] of blobs.slice(0, 2).entries()) e[b.digest]!.lastUsedMs = Date.now() - 3600_000 + i * 1000;
    });
    await cache.obtain(blobs[2]!.digest, async (t) => writeFile(t.tempFile, blobs[2]!.bytes));
    // 3000 bytes > 1500: blob 0 is the oldest but --home's clone reads it, so 1 goes.
    expect(blobs.map((b) => existsSync(cache.blobPath(b.digest)))).toEqual([true, false, true]);
  });

  it("refuses a size limit without inUse", () => {
    expect(() => new BlobCache(dir, { maxBytes: 10 })).toThrow(UsageError);
  });
});
