// A record of validated manifests (repository/validated-manifests.ts) lets a manifest skip its
// schema, so only a record this user wrote counts: one another user owns, one any user may write,
// or a link is ignored and the manifest validated (and an invalid one refused). The record is by
// the digest of the parsed value, so a text that reaches a recorded digest by other whitespace or a
// repeated key carries exactly the recorded content.
import { chmodSync, chownSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, renameSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../../packages/core/src/errors.js";
import { manifestDigest } from "../../../packages/core/src/image/digest.js";
import { MANIFEST_SCHEMA_REVISION, type ImageManifest } from "../../../packages/core/src/image/manifest.js";
import { validatedManifests } from "../../../packages/core/src/repository/validated-manifests.js";
import { makeManifest } from "../_helpers/manifest.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-validated-hostile-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = () => path.join(dir, "validated-manifests.json");
/** An invalid manifest (its name would reach paths: validation refuses it) and a record of its digest. */
const bad = () => ({ ...makeManifest(), name: "../../etc" }) as unknown as ImageManifest;
const plant = (m: ImageManifest, mode = 0o600) =>
  writeFileSync(file(), JSON.stringify({ revision: MANIFEST_SCHEMA_REVISION, digests: [manifestDigest(m)] }), { mode });
const isRoot = process.getuid?.() === 0;

describe("a planted record of validated manifests", () => {
  it("of our own is honoured (the cache's documented trust), so the tests below can fail", async () => {
    plant(bad());
    expect((await validatedManifests(dir).read(JSON.stringify(bad()), "m.json")).manifest.name).toBe("../../etc");
  });

  it("writable by other users is ignored: the manifest is validated and refused", async () => {
    plant(bad());
    chmodSync(file(), 0o666);
    await expect(validatedManifests(dir).read(JSON.stringify(bad()), "m.json")).rejects.toThrow(ValidationError);
  });

  it.skipIf(!isRoot)("owned by another user is ignored", async () => {
    plant(bad());
    chownSync(file(), 65534, 65534);
    await expect(validatedManifests(dir).read(JSON.stringify(bad()), "m.json")).rejects.toThrow(ValidationError);
  });

  it("reached through a link is ignored", async () => {
    plant(bad());
    renameSync(file(), path.join(dir, "elsewhere.json"));
    symlinkSync(path.join(dir, "elsewhere.json"), file());
    await expect(validatedManifests(dir).read(JSON.stringify(bad()), "m.json")).rejects.toThrow(ValidationError);
  });

  it("matches other whitespace or a repeated key only when the parsed content is the recorded one", async () => {
    const m = makeManifest();
    const cache = validatedManifests(dir);
    await cache.read(JSON.stringify(m), "m.json"); // recorded
    const spaced = JSON.stringify(m, null, 2);
    expect((await cache.read(spaced, "m.json")).manifest).toEqual(m);
    // A repeated key: JSON.parse keeps the last, so the recorded digest carries the recorded value...
    const repeated = `{"name":"../../etc",${JSON.stringify(m).slice(1)}`;
    expect((await cache.read(repeated, "m.json")).manifest).toEqual(m);
    // ...and a last value that differs is another digest, validated and refused.
    const overridden = `${JSON.stringify(m).slice(0, -1)},"name":"../../etc"}`;
    await expect(cache.read(overridden, "m.json")).rejects.toThrow(ValidationError);
  });
});
