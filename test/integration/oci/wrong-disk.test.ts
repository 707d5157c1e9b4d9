// A registry that answers with the wrong bytes, each as valid gzip so that decompression succeeds
// and only the digest checks stand between the runner and a disk nobody published: a version
// re-pointed at a layer holding another disk, and a layer re-packed in place in the registry.
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DigestMismatchError } from "../../../packages/core/src/errors.js";
import { parseImageRef } from "../../../packages/core/src/image/reference.js";
import { OciRepository } from "../../../packages/core/src/repository/oci/index.js";
import { makeDiskFile, manifestForDisk, type TestDisk } from "../../unit/_helpers/manifest.js";
import { mixedData } from "./helpers.js";
import { blobDataFile, canRunRegistry, startRegistry, type TestRegistry } from "./registry-fixture.js";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe.skipIf(!canRunRegistry)("OCI pull refuses a valid gzip that is not the published disk", () => {
  let registry: TestRegistry;
  let work: string;
  let disk: TestDisk;
  const open = (cache: string) =>
    new OciRepository(registry.location, { cacheDir: path.join(work, cache), env: {}, dockerConfig: path.join(work, "none.json") });
  const v2 = (p: string) => `http://127.0.0.1:${registry.port}/v2/team/${p}`;
  const cachedBlobs = (cache: string) => readdirSync(path.join(work, cache, "blobs", "sha256")).filter((f) => !f.endsWith(".lock"));

  async function ociManifest(name: string, tag: string): Promise<{ layers: { digest: string; size: number; mediaType: string }[] } & Record<string, unknown>> {
    return (await fetch(v2(`${name}/manifests/${tag}`), { headers: { accept: OCI_MANIFEST } })).json() as never;
  }

  beforeAll(async () => {
    registry = await startRegistry();
    work = mkdtempSync(path.join(os.tmpdir(), "dbclone-oci-wrong-"));
    disk = await makeDiskFile(work, mixedData(2 * 1024 * 1024), "base.qcow2");
  }, 30_000);
  afterAll(async () => {
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("a version re-pointed at a layer holding another disk of the same size: the disk digest check refuses it and caches nothing", async () => {
    await open("cache-push").push(manifestForDisk(disk, { name: "shop", version: "1" }), disk.path);
    // Someone with push access uploads a consistent layer (its digest is right) holding another disk…
    const otherDisk = mixedData(disk.sizeBytes);
    const layer = gzipSync(otherDisk);
    const layerDigest = sha256(layer);
    const start = await fetch(v2("shop/blobs/uploads/"), { method: "POST" });
    const upload = new URL(start.headers.get("location")!, v2(""));
    upload.searchParams.set("digest", layerDigest);
    expect((await fetch(upload, { method: "PUT", body: layer, headers: { "content-type": "application/octet-stream" } })).status).toBe(201);
    // …and moves the version's tag to a manifest naming it, keeping dbclone's config (the disk digest) as it was.
    const manifest = await ociManifest("shop", "1");
    manifest.layers[0] = { ...manifest.layers[0]!, digest: layerDigest, size: layer.length };
    expect((await fetch(v2("shop/manifests/1"), { method: "PUT", body: JSON.stringify(manifest), headers: { "content-type": OCI_MANIFEST } })).status).toBe(
      201,
    );

    const repo = open("cache-wrong-disk");
    const image = await repo.resolve(parseImageRef("shop:1"));
    expect(image.manifest.disk.digest).toBe(disk.digest);
    const attempt = repo.pull(image);
    await expect(attempt).rejects.toThrow(DigestMismatchError);
    await expect(attempt).rejects.toThrow(
      new RegExp(
        `the disk in layer ${layerDigest} of team/shop hashes to ${sha256(otherDisk)} \\(${disk.sizeBytes} bytes\\), but the manifest says ${disk.digest}`,
      ),
    );
    expect(cachedBlobs("cache-wrong-disk")).toEqual([]);
  });

  it("a layer re-packed in place (same disk, same size, other gzip header bytes): the layer digest check refuses it and caches nothing", async () => {
    await open("cache-push").push(manifestForDisk(disk, { name: "orders", version: "1" }), disk.path);
    const { layers } = await ociManifest("orders", "1");
    const file = blobDataFile(registry.storageDir, layers[0]!.digest);
    const bytes = readFileSync(file);
    bytes.writeUInt32LE(0x5eed, 4); // gzip MTIME: not covered by the CRC, so the stream still inflates to the same disk
    writeFileSync(file, bytes);

    const repo = open("cache-repacked");
    const image = await repo.resolve(parseImageRef("orders:1"));
    const attempt = repo.pull(image);
    await expect(attempt).rejects.toThrow(DigestMismatchError);
    await expect(attempt).rejects.toThrow(
      new RegExp(`layer ${layers[0]!.digest} of team/orders from .* hashes to ${sha256(bytes)}: the registry copy is corrupt`),
    );
    expect(cachedBlobs("cache-repacked")).toEqual([]);
  });
});
