import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { ValidationError } from "../../../packages/core/src/errors.js";
import { MANIFEST_SCHEMA_REVISION, manifestSchema, parseManifest, validateManifest } from "../../../packages/core/src/image/manifest.js";
import { makeManifest } from "../_helpers/manifest.js";

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).field;
  }
  throw new Error("expected a ValidationError");
}

describe("manifest validation", () => {
  it("accepts the helper's manifest", () => {
    expect(validateManifest(makeManifest(), "m.json").name).toBe("orders-db");
  });

  it.each([
    ["name", { name: "Orders DB" }],
    ["version", { version: ".hidden" }],
    ["disk.digest", { disk: { digest: "sha256:xyz", sizeBytes: 1, virtualSizeBytes: 1 } }],
    ["databases", { databases: [] }],
    ["engine.kind", { engine: { kind: "oracle", version: "19" } }],
    ["parent", { parent: "nope" }],
    ["created", { created: "yesterday" }],
  ])("names the field %s in the error", (field, patch) => {
    const bad = { ...makeManifest(), ...patch };
    expect(fieldOf(() => validateManifest(bad, "m.json"))).toBe(field);
    expect(() => validateManifest(bad, "m.json")).toThrow(new RegExp(`m\\.json: invalid manifest field '${field.replace(".", "\\.")}'`));
  });

  it("rejects unknown fields", () => {
    expect(() => validateManifest({ ...makeManifest(), extra: 1 }, "m.json")).toThrow(/invalid manifest field/);
  });

  it("names the source on a JSON syntax error", () => {
    expect(() => parseManifest("{", "repo/manifests/x/1.json")).toThrow(/^repo\/manifests\/x\/1\.json: not valid JSON/);
  });
});

describe("manifest schema revision", () => {
  it("changes with the schema: a manifest validated under another schema is not trusted as validated", () => {
    // The schema as JSON Schema, hashed. When this fails, the schema changed: bump
    // MANIFEST_SCHEMA_REVISION (image/manifest.ts) and record the new revision and hash here.
    const hash = createHash("sha256")
      .update(JSON.stringify(z.toJSONSchema(manifestSchema(), { unrepresentable: "any" })))
      .digest("hex");
    expect({ revision: MANIFEST_SCHEMA_REVISION, hash }).toEqual({ revision: 1, hash: "69e78f624b59056b0552fa15ca4bfc08f2ca01beac9160721223048a77a654c8" });
  });
});
