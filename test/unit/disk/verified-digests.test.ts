import { createHash } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, utimesSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VerifiedDigestCache, sha256File } from "../../../packages/core/src/disk/qcow2/verified-digests.js";

const sha = (b: Buffer | string) => "sha256:" + createHash("sha256").update(b).digest("hex");

describe("VerifiedDigestCache", () => {
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
    const cache = new VerifiedDigestCache(path.join(dir, "state"));
    expect(await cache.digestOf(f)).toEqual({ digest: sha("version one"), cached: false });
    expect(await cache.digestOf(f)).toEqual({ digest: sha("version one"), cached: true });
    appendFileSync(f, "!");
    expect(await cache.digestOf(f)).toEqual({ digest: sha("version one!"), cached: false });
  });

  it("re-hashes a same-size rewrite even when the mtime is put back", async () => {
    const f = path.join(dir, "base.qcow2");
    writeFileSync(f, "aaaa");
    const cache = new VerifiedDigestCache(dir);
    await cache.digestOf(f);
    const { atime, mtime } = statSync(f);
    writeFileSync(f, "bbbb");
    utimesSync(f, atime, mtime); // ctime still moves, so the stamp differs
    expect(await cache.digestOf(f)).toEqual({ digest: sha("bbbb"), cached: false });
  });

  it("survives a corrupt cache file by re-hashing", async () => {
    const f = path.join(dir, "base.qcow2");
    writeFileSync(f, "data");
    writeFileSync(path.join(dir, "verified-digests.json"), "{not json");
    const cache = new VerifiedDigestCache(dir);
    expect(await cache.digestOf(f)).toEqual({ digest: sha("data"), cached: false });
    expect(JSON.parse(readFileSync(path.join(dir, "verified-digests.json"), "utf8"))[f].digest).toBe(sha("data"));
  });
});
