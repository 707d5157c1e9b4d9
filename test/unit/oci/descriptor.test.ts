import { describe, expect, it } from "vitest";
import { RepositoryError } from "../../../packages/core/src/errors.js";
import { MAX_LAYER_BYTES, checkDescriptor, checkManifestShape, readCapped } from "../../../packages/core/src/repository/oci/descriptor.js";

const HEX = "a".repeat(64);
const layer = (over: Record<string, unknown> = {}) => ({ mediaType: "application/vnd.dbclone.disk.qcow2.v1+gzip", digest: `sha256:${HEX}`, size: 10, ...over });

describe("a registry's descriptor", () => {
  it("passes when digest, size and media type are dbclone's", () => {
    expect(checkDescriptor(layer(), "layer", "x").digest).toBe(`sha256:${HEX}`);
  });

  it.each([
    ["a traversal digest", { digest: "sha256:../../etc/passwd" }, /layer digest/],
    ["an upper-case digest", { digest: `sha256:${HEX.toUpperCase()}` }, /layer digest/],
    ["another algorithm", { digest: `sha512:${HEX}${HEX}` }, /layer digest/],
    ["a digest with a newline", { digest: `sha256:${HEX}\n` }, /layer digest/],
    ["a negative size", { size: -1 }, /layer size/],
    ["a fractional size", { size: 1.5 }, /layer size/],
    ["a size beyond the cap", { size: MAX_LAYER_BYTES + 1 }, /layer size/],
    ["a size as text", { size: "10" }, /layer size/],
    ["an unknown media type", { mediaType: "application/octet-stream" }, /layer media type/],
  ])("refuses %s", (_what, over, message) => {
    expect(() => checkDescriptor(layer(over), "layer", "x")).toThrow(RepositoryError);
    expect(() => checkDescriptor(layer(over), "layer", "x")).toThrow(message);
  });

  it("refuses a config that is not dbclone's media type or is over 16 MiB", () => {
    expect(() => checkDescriptor({ mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${HEX}`, size: 1 }, "config", "x")).toThrow(
      /config media type/,
    );
    expect(() => checkDescriptor({ mediaType: "application/vnd.dbclone.image.v1+json", digest: `sha256:${HEX}`, size: 17 << 20 }, "config", "x")).toThrow(
      /config size/,
    );
  });

  it("refuses a manifest that is not an object with a config and a layer list", () => {
    for (const m of [null, [], "x", { config: {} }, { layers: [] }, { config: {}, layers: [], annotations: "x" }]) {
      expect(() => checkManifestShape(m, "x")).toThrow(RepositoryError);
    }
  });
});

describe("a capped read", () => {
  it("stops a body that is longer than it said", async () => {
    const res = new Response(new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(1024)) }));
    await expect(readCapped(res, 10_000, "an endless body")).rejects.toThrow(/an endless body is more than the 10000 bytes/);
  });
});
