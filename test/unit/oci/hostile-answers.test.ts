// A hostile or broken registry's answers, field by field: each is refused with a message naming
// what was wrong (cut short, so a huge value cannot flood the log), and a well-formed dbclone
// answer still passes (a check that refused everything would fail here too).
import { describe, expect, it } from "vitest";
import { RepositoryError } from "../../../packages/core/src/errors.js";
import {
  MAX_CONFIG_BYTES,
  MAX_LAYER_BYTES,
  checkDescriptor,
  checkImageManifest,
  checkManifestShape,
  readCapped,
} from "../../../packages/core/src/repository/oci/descriptor.js";

const HEX = "b".repeat(64);
const DISK = "application/vnd.dbclone.disk.qcow2.v1+gzip";
const CONFIG = "application/vnd.dbclone.image.v1+json";
const layer = (over: Record<string, unknown> = {}) => ({ mediaType: DISK, digest: `sha256:${HEX}`, size: 10, ...over });
const config = (over: Record<string, unknown> = {}) => ({ mediaType: CONFIG, digest: `sha256:${"c".repeat(64)}`, size: 100, ...over });
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RepositoryError);
    return (e as Error).message;
  }
  throw new Error("expected a refusal");
};

describe("descriptors from a registry", () => {
  it("a missing or non-object descriptor is called missing", () => {
    expect(refusal(() => checkDescriptor(undefined, "layer", "shop:v1"))).toMatch(
      /^shop:v1: the layer descriptor is missing; the registry's answer is not a dbclone image/,
    );
    expect(refusal(() => checkDescriptor("sha256:x", "config", "shop:v1"))).toMatch(/^shop:v1: the config descriptor is missing;/);
  });

  it("a huge hostile digest or media type is quoted only in part", () => {
    const digest = `sha256:${"../".repeat(200)}`;
    const m = refusal(() => checkDescriptor(layer({ digest }), "layer", "x"));
    expect(m).toContain(JSON.stringify(digest.slice(0, 80)));
    expect(m).not.toContain(digest.slice(0, 81));
    const mediaType = `application/${"x".repeat(500)}`;
    const t = refusal(() => checkDescriptor(layer({ mediaType }), "layer", "x"));
    expect(t).toContain(JSON.stringify(mediaType.slice(0, 100)));
    expect(t).not.toContain(mediaType.slice(0, 101));
  });

  it("a layer may be far bigger than a config, up to exactly its cap, and may be empty", () => {
    expect(checkDescriptor(layer({ size: MAX_CONFIG_BYTES + 1 }), "layer", "x").size).toBe(MAX_CONFIG_BYTES + 1);
    expect(checkDescriptor(layer({ size: MAX_LAYER_BYTES }), "layer", "x").size).toBe(MAX_LAYER_BYTES);
    expect(checkDescriptor(layer({ size: 0 }), "layer", "x").size).toBe(0);
    expect(checkDescriptor(config({ size: MAX_CONFIG_BYTES }), "config", "x").size).toBe(MAX_CONFIG_BYTES);
    expect(refusal(() => checkDescriptor(config({ size: MAX_CONFIG_BYTES + 1 }), "config", "x"))).toMatch(
      /the config size 16777217 is not a whole number of bytes up to 16777216/,
    );
  });

  it("dbclone's config passes as a config but not as a layer; a layer without a media type is refused as such", () => {
    expect(checkDescriptor(config(), "config", "x").mediaType).toBe(CONFIG);
    expect(refusal(() => checkDescriptor(config(), "layer", "x"))).toMatch(
      /the layer media type "application\/vnd.dbclone.image.v1\+json" is not one dbclone writes/,
    );
    expect(refusal(() => checkDescriptor(layer(), "config", "x"))).toMatch(/the config media type/);
    expect(refusal(() => checkDescriptor(layer({ mediaType: undefined }), "layer", "x"))).toMatch(/the layer media type "undefined"/);
  });
});

describe("manifests from a registry", () => {
  it("each malformed shape is refused with its own reason", () => {
    expect(refusal(() => checkManifestShape("a string", "x"))).toMatch(/the manifest is not a JSON object/);
    expect(refusal(() => checkManifestShape(["config"], "x"))).toMatch(/the manifest is not a JSON object/);
    expect(refusal(() => checkManifestShape({ config: "sha256:x", layers: [] }, "x"))).toMatch(/the manifest has no config descriptor/);
    expect(refusal(() => checkManifestShape({ layers: [] }, "x"))).toMatch(/the manifest has no config descriptor/);
    expect(refusal(() => checkManifestShape({ config: config(), layers: "all" }, "x"))).toMatch(/the manifest has no layer list/);
    expect(refusal(() => checkManifestShape({ config: config(), layers: [], annotations: null }, "x"))).toMatch(/the manifest's annotations are not an object/);
    expect(refusal(() => checkManifestShape({ config: config(), layers: [], annotations: "k=v" }, "x"))).toMatch(
      /the manifest's annotations are not an object/,
    );
  });

  it("a well-formed manifest passes, with or without annotations", () => {
    const m = { config: config(), layers: [layer()] };
    expect(checkManifestShape(m, "x")).toBe(m);
    const a = { ...m, annotations: { "vnd.dbclone.image.name": "shop" } };
    expect(checkManifestShape(a, "x")).toBe(a);
  });

  it("the disk layer is found among foreign layers and checked; a manifest without one has no layer", () => {
    const foreign = { mediaType: "application/vnd.example.readme", digest: "not-a-digest", size: -1 };
    const m = checkManifestShape({ config: config(), layers: [null, foreign, layer()] }, "x");
    expect(checkImageManifest(m, "x")).toEqual({ config: config(), layer: layer() });
    expect(checkImageManifest(checkManifestShape({ config: config(), layers: [foreign] }, "x"), "x")).toEqual({ config: config(), layer: undefined });
    const hostile = checkManifestShape({ config: config(), layers: [layer({ digest: "sha256:../../etc/passwd" })] }, "x");
    expect(refusal(() => checkImageManifest(hostile, "x"))).toMatch(/the layer digest/);
    const badConfig = checkManifestShape({ config: config({ size: -5 }), layers: [layer()] }, "x");
    expect(refusal(() => checkImageManifest(badConfig, "x"))).toMatch(/the config size -5/);
  });
});

describe("a capped read of a registry's body", () => {
  const body = (bytes: number) => new Uint8Array(bytes).fill(7);

  it("a body that declares more than the cap is refused unread", async () => {
    let pulled = false;
    const stream = new ReadableStream({
      pull: (c) => {
        pulled = true;
        c.enqueue(body(10));
      },
    });
    const res = new Response(stream, { headers: { "content-length": "20001" } });
    await expect(readCapped(res, 20_000, "the manifest")).rejects.toThrow(
      "the manifest is 20001 bytes, more than the 20000 bytes dbclone accepts; it was not pushed by dbclone",
    );
    expect(pulled).toBe(false);
    const bodiless = new Response(null, { headers: { "content-length": "20001" } });
    await expect(readCapped(bodiless, 20_000, "the tag list")).rejects.toThrow(RepositoryError);
  });

  it("a body of exactly the cap is read whole, in order; an empty answer is an empty buffer", async () => {
    const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    const res = new Response(data, { headers: { "content-length": "3000" } });
    expect(Buffer.compare(await readCapped(res, 3000, "the config"), data)).toBe(0);
    expect((await readCapped(new Response(null), 10, "the tag list")).length).toBe(0);
  });

  it("a body one byte over the cap without a declared length is refused", async () => {
    const res = new Response(new Uint8Array(3001));
    await expect(readCapped(res, 3000, "the config")).rejects.toThrow("the config is more than the 3000 bytes dbclone accepts");
  });
});
