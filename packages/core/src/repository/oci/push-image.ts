// Publishing one image version to an OCI registry: disk layer (skip, mount or chunked upload of
// the gzip stream), config blob (our canonical manifest), then the OCI manifest under the version
// tag. The version check and the tag PUT are two requests: see "race window" in docs/oci.md.
import { createReadStream } from "node:fs";
import { createHash } from "node:crypto";
import { createGzip } from "node:zlib";
import { DigestMismatchError, VersionExistsError } from "../../errors.js";
import { canonicalJson, manifestDigest } from "../../image/digest.js";
import type { ImageManifest } from "../../image/manifest.js";
import type { PublishedImage, PushOptions } from "../types.js";
import { withRetries } from "./retry-policy.js";
import { blobExists, mountBlob, uploadSmallBlob, uploadStream } from "./blob-upload.js";
import type { RegistryClient } from "./client.js";
import type { KnownLayers } from "./known-layers.js";
import { headManifest, putManifest } from "./manifests.js";
import * as mt from "./media-types.js";

export interface PushSettings {
  chunkSizeBytes: number;
  compressionLevel: number;
  knownLayers: KnownLayers;
}

export function versionExistsError(repo: string, version: string, display: string): VersionExistsError {
  return new VersionExistsError(`image ${repo} version ${version} already exists in ${display}; versions are immutable: choose a new version`);
}

export async function pushImage(
  client: RegistryClient,
  repo: string,
  manifest: ImageManifest,
  diskFile: string,
  settings: PushSettings,
  opts: PushOptions,
): Promise<PublishedImage> {
  const display = client.location.display;
  if (await headManifest(client, repo, manifest.version)) throw versionExistsError(repo, manifest.version, display);

  const layer = await pushDiskLayer(client, repo, manifest, diskFile, settings, opts);
  const config = Buffer.from(canonicalJson(manifest));
  const id = manifestDigest(manifest);
  await uploadSmallBlob(client, repo, config, id);

  const annotations: Record<string, string> = {
    [mt.ANNOTATION_IMAGE_NAME]: manifest.name,
    [mt.ANNOTATION_IMAGE_VERSION]: manifest.version,
    [mt.ANNOTATION_IMAGE_ID]: id,
    [mt.ANNOTATION_CREATED]: manifest.created,
    ...(manifest.parent ? { [mt.ANNOTATION_PARENT]: manifest.parent } : {}),
  };
  const oci: mt.OciImageManifest = {
    schemaVersion: 2,
    mediaType: mt.OCI_MANIFEST_MEDIA_TYPE,
    artifactType: mt.IMAGE_ARTIFACT_TYPE,
    config: { mediaType: mt.IMAGE_CONFIG_MEDIA_TYPE, digest: id, size: config.length },
    layers: [layer],
    annotations,
  };
  // Check again just before the tag is written: narrows (does not close) the race with a concurrent publisher.
  if (await headManifest(client, repo, manifest.version)) throw versionExistsError(repo, manifest.version, display);
  await putManifest(client, repo, manifest.version, Buffer.from(canonicalJson(oci)));
  return { name: manifest.name, version: manifest.version, manifestDigest: id, manifest };
}

async function pushDiskLayer(
  client: RegistryClient,
  repo: string,
  manifest: ImageManifest,
  diskFile: string,
  settings: PushSettings,
  opts: PushOptions,
): Promise<mt.OciDescriptor> {
  const here = `${client.location.registry}/${repo}`;
  const known = await settings.knownLayers.get(manifest.disk.digest);
  if (known) {
    if (await blobExists(client, repo, known.layer.digest)) return known.layer;
    for (const source of known.repositories) {
      const [registry, ...rest] = source.split("/");
      if (registry !== client.location.registry || source === here) continue;
      if (await mountBlob(client, repo, known.layer.digest, rest.join("/"))) {
        await settings.knownLayers.remember(manifest.disk.digest, known.layer, here);
        return known.layer;
      }
    }
  }
  let diskHash = createHash("sha256");
  let read = 0;
  const total = manifest.disk.sizeBytes;
  async function* compressed(): AsyncGenerator<Buffer> {
    const gzip = createGzip({ level: settings.compressionLevel, chunkSize: 1 << 20 });
    const input = createReadStream(diskFile, { highWaterMark: 1 << 20 });
    input.on("data", (c) => {
      diskHash.update(c as Buffer);
      read += (c as Buffer).length;
      opts.onProgress?.(read, total);
    });
    input.on("error", (e) => gzip.destroy(e));
    input.pipe(gzip);
    try {
      for await (const c of gzip) yield c as Buffer;
    } finally {
      // An upload that failed part-way (and will start again) must not leave the file open.
      input.destroy();
      gzip.destroy();
    }
  }
  // A registry that drops the session after a failed chunk gets the blob again from the start.
  const uploaded = await withRetries(`uploading the disk layer of ${repo}`, client.retry, client.reporter, () => {
    diskHash = createHash("sha256");
    read = 0;
    return uploadStream(client, repo, compressed(), settings.chunkSizeBytes);
  });
  const got = `sha256:${diskHash.digest("hex")}`;
  if (got !== manifest.disk.digest || read !== total) {
    throw new DigestMismatchError(
      `disk file ${diskFile} hashes to ${got} (${read} bytes) but the manifest says ${manifest.disk.digest} (${total} bytes); rebuild the manifest from this file`,
    );
  }
  const layer: mt.OciDescriptor = {
    mediaType: mt.diskLayerMediaType(manifest.platform.diskFormat, "gzip"),
    digest: uploaded.digest,
    size: uploaded.size,
    annotations: {
      [mt.ANNOTATION_UNCOMPRESSED_DIGEST]: manifest.disk.digest,
      [mt.ANNOTATION_UNCOMPRESSED_SIZE]: String(total),
      "org.opencontainers.image.title": `${manifest.name}-${manifest.version}.${manifest.platform.diskFormat}.gz`,
    },
  };
  await settings.knownLayers.remember(manifest.disk.digest, layer, here);
  return layer;
}
