import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, manifestDigest, sha256File, sha256Of } from "../../../packages/core/src/image/digest.js";
import { makeManifest } from "../_helpers/manifest.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-digest-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sha256File", () => {
  it("matches the FIPS 180-2 vector for 'abc'", async () => {
    const file = path.join(dir, "abc");
    await writeFile(file, "abc");
    expect(await sha256File(file)).toBe("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("hashes an empty file", async () => {
    const file = path.join(dir, "empty");
    await writeFile(file, "");
    expect(await sha256File(file)).toBe("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("streams in chunks and reports progress up to the file size", async () => {
    const file = path.join(dir, "big");
    const data = Buffer.alloc(3 * (1 << 20) + 5, 7);
    await writeFile(file, data);
    const seen: number[] = [];
    const digest = await sha256File(file, (done, total) => {
      expect(total).toBe(data.length);
      seen.push(done);
    });
    expect(digest).toBe(sha256Of(data));
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(seen.at(-1)).toBe(data.length);
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it("gives the same bytes whatever the key insertion order", () => {
    const a = { name: "x", labels: { k2: "v", k1: "v" }, n: 1.5 };
    const b = { n: 1.5, labels: { k1: "v", k2: "v" }, name: "x" };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it("follows JSON.stringify for undefined, non-finite numbers and escapes", () => {
    expect(canonicalJson({ a: undefined, b: [undefined, NaN], c: 'q"\n' })).toBe('{"b":[null,null],"c":"q\\"\\n"}');
    expect(JSON.parse(canonicalJson({ t: new Date(0) }))).toEqual({ t: "1970-01-01T00:00:00.000Z" });
  });
});

describe("manifestDigest", () => {
  it("is stable across key order and changes with any field", () => {
    const m = makeManifest();
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(m).reverse())));
    expect(manifestDigest(reordered)).toBe(manifestDigest(m));
    expect(manifestDigest(m)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(manifestDigest(makeManifest({ version: "1.0.1" }))).not.toBe(manifestDigest(m));
  });
});
