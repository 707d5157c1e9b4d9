import { createHash } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, utimesSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { baseDigestCache } from "../../../packages/core/src/disk/base-digests.js";
import { sha256File } from "../../../packages/core/src/image/digest.js";
import { verifiedBlobCache } from "../../../packages/core/src/repository/verified-blobs.js";
import { StampedDigestCache } from "../../../packages/core/src/util/stamped-digests.js";

const sha = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("StampedDigestCache", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-digest-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("streams a sha256 digest equal to hashing the whole file", async () => {
    const f = path.join(dir, "blob");
    const data = Buffer.alloc(3 * 1024 * 1024 + 7, 0xab);
    writeFileSync(f, data);
    expect(await sha256File(f)).toBe(sha(data));
  });

  it("hashes once, then answers from the stamp until the file changes", async () => {
    const f = path.join(dir, "base.qcow2");
    writeFileSync(f, "version one");
    const cache = baseDigestCache(path.join(dir, "state"));
    expect(await cache.digestOf(f, sha256File)).toEqual({ digest: sha("version one"), cached: false });
    expect(await cache.digestOf(f, sha256File)).toEqual({ digest: sha("version one"), cached: true });
    appendFileSync(f, "!");
    expect(await cache.digestOf(f, sha256File)).toEqual({ digest: sha("version one!"), cached: false });
  });

  it("does not rewrite the cache file when a clone records an unchanged, already recorded digest", async () => {
    const f = path.join(dir, "base.qcow2");
    writeFileSync(f, "base");
    const cache = baseDigestCache(path.join(dir, "state"));
    await cache.remember(f, sha("base"));
    const cacheFile = path.join(dir, "state", "verified-digests.json");
    const before = statSync(cacheFile, { bigint: true });
    // What every clone of a cached base does: pull says "verified", the driver remembers it again.
    await cache.remember(f, sha("base"));
    expect(await cache.digestOf(f, async () => expect.unreachable("an unchanged base is never hashed again"))).toEqual({ digest: sha("base"), cached: true });
    const after = statSync(cacheFile, { bigint: true });
    expect([after.ino, after.mtimeNs]).toEqual([before.ino, before.mtimeNs]);
    // A different digest, or a changed file, is written.
    await cache.remember(f, sha("other"));
    expect(statSync(cacheFile, { bigint: true }).ino).not.toBe(before.ino);
    appendFileSync(f, "!");
    await cache.remember(f, sha("other"));
    expect(await cache.isVerified(f, sha("other"))).toBe(true);
  });

  it("re-hashes a same-size rewrite even when the mtime is put back", async () => {
    const f = path.join(dir, "base.qcow2");
    writeFileSync(f, "aaaa");
    const cache = baseDigestCache(dir);
    await cache.digestOf(f, sha256File);
    const { atime, mtime } = statSync(f);
    writeFileSync(f, "bbbb");
    utimesSync(f, atime, mtime); // ctime still moves, so the stamp differs
    expect(await cache.digestOf(f, sha256File)).toEqual({ digest: sha("bbbb"), cached: false });
  });

  it("survives a corrupt cache file by re-hashing", async () => {
    const f = path.join(dir, "base.qcow2");
    writeFileSync(f, "data");
    writeFileSync(path.join(dir, "verified-digests.json"), "{not json");
    const cache = baseDigestCache(dir);
    expect(await cache.digestOf(f, sha256File)).toEqual({ digest: sha("data"), cached: false });
    expect(JSON.parse(readFileSync(path.join(dir, "verified-digests.json"), "utf8"))[f].digest).toBe(sha("data"));
  });

  it("answers isVerified only for the digest recorded and only while the stamp holds", async () => {
    const f = path.join(dir, "blob");
    writeFileSync(f, "x");
    const cache = verifiedBlobCache(path.join(dir, "cache"));
    expect(await cache.isVerified(f, sha("x"))).toBe(false);
    await cache.remember(f, sha("x"));
    expect(await cache.isVerified(f, sha("x"))).toBe(true);
    expect(await cache.isVerified(f, sha("y"))).toBe(false);
    writeFileSync(f, "y");
    expect(await cache.isVerified(f, sha("x"))).toBe(false);
    await cache.remember(f, sha("y"));
    await cache.forget(f);
    expect(await cache.isVerified(f, sha("y"))).toBe(false);
  });

  it("does not cache a digest when the file changed while it was hashed", async () => {
    const f = path.join(dir, "base.qcow2");
    writeFileSync(f, "before");
    const cache = new StampedDigestCache(path.join(dir, "d.json"));
    const racing = async (file: string) => {
      const digest = await sha256File(file);
      appendFileSync(file, "!"); // a writer during the hash
      return digest;
    };
    expect(await cache.digestOf(f, racing)).toEqual({ digest: sha("before"), cached: false });
    expect(await cache.known(f)).toBeUndefined();
  });

  it("one stamp for both caches: dev, ino, size, mtime ns, ctime ns", async () => {
    const f = path.join(dir, "blob");
    writeFileSync(f, "x");
    await verifiedBlobCache(dir).remember(f, sha("x"));
    await baseDigestCache(dir).remember(f, sha("x"));
    for (const name of ["verified-blobs.json", "verified-digests.json"]) {
      const entry = JSON.parse(readFileSync(path.join(dir, name), "utf8"))[f];
      expect(Object.keys(entry).sort(), name).toEqual(["ctimeNs", "dev", "digest", "ino", "mtimeNs", "size"]);
    }
  });
});
