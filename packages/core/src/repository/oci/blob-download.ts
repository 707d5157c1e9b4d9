// Pull one disk layer into a cache temp file: stream, decompress, hash both the layer bytes and
// the disk bytes, and keep the compressed bytes received so far in a partial file so that an
// interrupted pull resumes with a Range request instead of starting over.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, stat, truncate, unlink } from "node:fs/promises";
import { PassThrough, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { DigestMismatchError, NotSupportedError, RepositoryError } from "../../errors.js";
import { scopeFor, type RegistryClient } from "./client.js";
import { checkDescriptor } from "./descriptor.js";
import { layerCompression, type OciDescriptor } from "./media-types.js";
import { pausePoint } from "../../util/pause-point.js";
import { claimPartial } from "./partial-files.js";
import { TransientRegistryError } from "./retry-policy.js";

export interface LayerDownload {
  client: RegistryClient;
  repo: string;
  layer: OciDescriptor;
  /** What the decompressed bytes must be: manifest.disk. */
  expected: { digest: string; sizeBytes: number };
  tempFile: string;
  partialDir: string;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface DownloadStats {
  /** Layer bytes read from an earlier, interrupted pull. */
  resumedFrom: number;
  /** Layer bytes received over the network in this pull. */
  received: number;
}

export async function downloadLayer(d: LayerDownload): Promise<DownloadStats> {
  const { client, repo } = d;
  // Before any path or request is made from it: digest, size and media type are the registry's words.
  const layer = checkDescriptor(d.layer, "layer", `layer of ${repo} in ${client.location.display}`);
  assertKnownLayer(layer.mediaType);
  const partial = await claimPartial(d.partialDir, layer.digest);
  let have = (await stat(partial).catch(() => undefined))?.size ?? 0;
  if (have > layer.size) have = await restart(partial);
  const headers: Record<string, string> = {};
  if (have > 0) headers.range = `bytes=${have}-`;
  const res = await client.expect(
    { method: "GET", path: `/v2/${repo}/blobs/${layer.digest}`, scope: scopeFor(repo, "pull"), headers, signal: d.signal },
    [200, 206, 404, 416],
    `downloading ${layer.digest}`,
  );
  if (res.status === 404) {
    await res.body?.cancel();
    throw new RepositoryError(`layer ${layer.digest} of ${repo} is missing from ${client.location.display}; the image is damaged: publish it again`);
  }
  if (res.status === 416 || (res.status === 206 && !res.headers.get("content-range")?.startsWith(`bytes ${have}-`))) {
    await res.body?.cancel();
    await restart(partial);
    return downloadLayer(d); // the partial file does not fit what the registry has: start over once
  }
  if (res.status === 200 && have > 0) have = await restart(partial); // no Range support: from the start
  if (!res.body) throw new RepositoryError(`the registry sent no body for ${layer.digest}; pull again`);

  const stats: DownloadStats = { resumedFrom: have, received: 0 };
  const layerHash = createHash("sha256");
  const diskHash = createHash("sha256");
  let diskBytes = 0;
  let layerBytes = 0;
  const body = res.body;
  const partialOut = await open(partial, "a", 0o600);
  async function* layerBytesSource(): AsyncGenerator<Buffer> {
    if (have > 0) for await (const c of createReadStream(partial, { end: have - 1, highWaterMark: 1 << 20 })) yield c as Buffer;
    for await (const c of body) {
      const chunk = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      await partialOut.write(chunk);
      stats.received += chunk.length;
      if (stats.received === chunk.length) await pausePoint("pull:downloading");
      yield chunk;
    }
  }
  try {
    await pipeline(
      layerBytesSource(),
      async function* (src: AsyncIterable<Buffer>) {
        for await (const c of src) {
          layerHash.update(c);
          layerBytes += c.length;
          d.onProgress?.(layerBytes, layer.size);
          yield c;
        }
      },
      decompressorFor(layer.mediaType),
      async function* (src: AsyncIterable<Buffer>) {
        for await (const c of src) {
          diskHash.update(c);
          diskBytes += c.length;
          yield c;
        }
      },
      createWriteStream(d.tempFile, { flags: "wx", mode: 0o644 }),
      { signal: d.signal },
    );
  } catch (e) {
    await partialOut.close();
    if (isZlibError(e) && layerBytes < layer.size) {
      // The stream ended early (a body cut short): not corruption. Keep the partial and resume.
      throw new TransientRegistryError(`${client.location.display} sent ${layerBytes} of ${layer.size} bytes of ${layer.digest}`, "short body");
    }
    if (isZlibError(e)) {
      await unlink(partial).catch(() => undefined);
      throw new DigestMismatchError(
        `layer ${layer.digest} of ${repo} from ${client.location.display} is corrupt: it does not decompress (${(e as Error).message}); nothing was cached: publish the image again`,
      );
    }
    throw e; // network or abort: the partial file stays for the next pull to resume
  }
  await partialOut.close();
  if (layerBytes < layer.size) {
    // A body cut short without an error: keep the partial file, the retry resumes after it.
    throw new TransientRegistryError(`${client.location.display} sent ${layerBytes} of ${layer.size} bytes of ${layer.digest}`, "short body");
  }
  await unlink(partial).catch(() => undefined);
  const gotLayer = `sha256:${layerHash.digest("hex")}`;
  const gotDisk = `sha256:${diskHash.digest("hex")}`;
  if (gotLayer !== layer.digest) {
    throw new DigestMismatchError(
      `layer ${layer.digest} of ${repo} from ${client.location.display} hashes to ${gotLayer}: the registry copy is corrupt; nothing was cached: publish the image again`,
    );
  }
  if (gotDisk !== d.expected.digest || diskBytes !== d.expected.sizeBytes) {
    throw new DigestMismatchError(
      `the disk in layer ${layer.digest} of ${repo} hashes to ${gotDisk} (${diskBytes} bytes), but the manifest says ${d.expected.digest} (${d.expected.sizeBytes} bytes); nothing was cached: publish the image again`,
    );
  }
  return stats;
}

function decompressorFor(mediaType: string): Transform {
  assertKnownLayer(mediaType);
  return layerCompression(mediaType) === "gzip" ? createGunzip({ chunkSize: 1 << 20 }) : new PassThrough();
}

function assertKnownLayer(mediaType: string): void {
  const compression = layerCompression(mediaType);
  if (compression === "gzip" || compression === "none") return;
  if (compression === "zstd")
    throw new NotSupportedError("zstd disk layers are not supported by this build (Node 20 has no zstd); push the image again with gzip");
  throw new NotSupportedError(`disk layer media type '${mediaType}' is unknown to this dbclone; upgrade dbclone`);
}

async function restart(partial: string): Promise<number> {
  await truncate(partial, 0).catch(() => undefined);
  return 0;
}

function isZlibError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code ?? "";
  return typeof code === "string" && code.startsWith("Z_");
}
