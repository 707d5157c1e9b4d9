// ValidatedManifests (repository/validated-manifests.ts): a manifest whose digest this dbclone
// recorded as validated is used as parsed (no schema built, no validation); any other manifest (an
// edited one, another version, a record of another schema revision) is validated as always.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
  dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-validated-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const recorded = (): { revision: number; digests: string[] } => JSON.parse(readFileSync(path.join(dir, "validated-manifests.json"), "utf8"));
const record = (digests: string[], revision = MANIFEST_SCHEMA_REVISION) =>
  writeFileSync(path.join(dir, "validated-manifests.json"), JSON.stringify({ revision, digests }));
/** Not a valid manifest (an unknown field), but a JSON object with a digest. */
const invalid = () => ({ ...makeManifest(), extra: "not in the schema" }) as unknown as ImageManifest;

describe("validated manifests", () => {
  it("records a manifest once it validated, under the schema revision, with the digest it is known by", async () => {
    const m = makeManifest();
    const read = await validatedManifests(dir).read(JSON.stringify(m), "m.json");
    expect(read.digest).toBe(manifestDigest(m));
    expect(recorded()).toEqual({ revision: MANIFEST_SCHEMA_REVISION, digests: [manifestDigest(m)] });
  });

  it("uses a recorded manifest as parsed: the record is honoured for its digest, without validation", async () => {
    const m = invalid(); // validation would refuse it: only the record can let it through
    record([manifestDigest(m)]);
    const read = await validatedManifests(dir).read(JSON.stringify(m), "m.json");
    expect(read).toEqual({ manifest: m, digest: manifestDigest(m) });
  });

  it("validates (and refuses) a manifest whose digest is not recorded, though others are", async () => {
    const m = invalid();
    record([manifestDigest(makeManifest()), manifestDigest({ ...m, version: "2" })]);
    await expect(validatedManifests(dir).read(JSON.stringify(m), "repo/m.json")).rejects.toThrow(ValidationError);
    await expect(validatedManifests(dir).read(JSON.stringify(m), "repo/m.json")).rejects.toThrow(/repo\/m\.json: invalid manifest field '\(root\)'/);
  });

  it("does not honour a record of another schema revision, or a damaged record file", async () => {
    const m = invalid();
    record([manifestDigest(m)], MANIFEST_SCHEMA_REVISION + 1);
    await expect(validatedManifests(dir).read(JSON.stringify(m), "m.json")).rejects.toThrow(ValidationError);
    writeFileSync(path.join(dir, "validated-manifests.json"), "{damaged");
    await expect(validatedManifests(dir).read(JSON.stringify(m), "m.json")).rejects.toThrow(ValidationError);
    const good = makeManifest();
    expect((await validatedManifests(dir).read(JSON.stringify(good), "m.json")).manifest).toEqual(good);
  });

  it("does not record a manifest that validation changed (defaults filled in): it is validated at every read", async () => {
    const { labels: _, ...withoutLabels } = makeManifest();
    const read = await validatedManifests(dir).read(JSON.stringify(withoutLabels), "m.json");
    expect(read.manifest.labels).toEqual({});
    expect(read.digest).toBe(manifestDigest(read.manifest));
    expect(() => recorded()).toThrow(/ENOENT/);
  });

  it("names the source on a JSON syntax error", async () => {
    await expect(validatedManifests(dir).read("{", "repo/manifests/x/1.json")).rejects.toThrow(/^repo\/manifests\/x\/1\.json: not valid JSON/);
  });
});
