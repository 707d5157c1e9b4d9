// Blob uploads per the OCI distribution spec: HEAD to skip what the registry has, a cross-
// repository mount where we know a source, else POST a session, PATCH chunks with
// Content-Range, and a final PUT ?digest=. Chunks are the only bytes held in memory.
import { createHash } from "node:crypto";
import { RepositoryError } from "../../errors.js";
import { scopeFor, type RegistryClient } from "./client.js";

export interface UploadedBlob {
  digest: string;
  size: number;
}

export async function blobExists(client: RegistryClient, repo: string, digest: string): Promise<boolean> {
  const res = await client.expect({ method: "HEAD", path: `/v2/${repo}/blobs/${digest}`, scope: scopeFor(repo, "pull,push") }, [200, 404], `checking blob ${digest}`);
  await res.body?.cancel();
  return res.status === 200;
}

/** Ask the registry to link `digest` from repository `from` into `repo`; false when it will not. */
export async function mountBlob(client: RegistryClient, repo: string, digest: string, from: string): Promise<boolean> {
  const q = new URLSearchParams({ mount: digest, from });
  const res = await client.send({ method: "POST", path: `/v2/${repo}/blobs/uploads/?${q}`, scope: `${scopeFor(repo, "pull,push")} ${scopeFor(from, "pull")}` });
  await res.body?.cancel();
  if (res.status === 201) return true;
  // 202: the registry opened an ordinary upload instead; drop it.
  const location = res.headers.get("location");
  if (res.status === 202 && location) await client.send({ method: "DELETE", path: client.url(absolute(client, location)), scope: scopeFor(repo, "pull,push") }).then((r) => r.body?.cancel()).catch(() => undefined);
  return false;
}

/** Upload a small blob (the config) in one PUT. */
export async function uploadSmallBlob(client: RegistryClient, repo: string, data: Buffer, digest: string): Promise<void> {
  if (await blobExists(client, repo, digest)) return;
  const location = await startUpload(client, repo);
  const url = withDigest(absolute(client, location), digest);
  const res = await client.expect(
    { method: "PUT", path: url, scope: scopeFor(repo, "pull,push"), body: data, headers: { "content-type": "application/octet-stream", "content-length": String(data.length) } },
    [201, 204],
    `uploading blob ${digest} to ${repo}`,
  );
  await res.body?.cancel();
}

/**
 * Upload a stream of unknown digest in chunks of `chunkSize`, hashing as it goes; the final PUT
 * names the digest, which the registry checks. `onBytes` reports bytes sent.
 */
export async function uploadStream(
  client: RegistryClient,
  repo: string,
  source: AsyncIterable<Buffer>,
  chunkSize: number,
  onBytes?: (sent: number) => void,
): Promise<UploadedBlob> {
  const scope = scopeFor(repo, "pull,push");
  let location = absolute(client, await startUpload(client, repo));
  const hash = createHash("sha256");
  // Two buffers: one PATCH is in flight while the next chunk fills, so compression and the
  // network overlap. PATCHes stay strictly in order (the spec requires it).
  let chunk = Buffer.allocUnsafe(chunkSize);
  let spare = Buffer.allocUnsafe(chunkSize);
  let filled = 0;
  let sent = 0;
  let inFlight: Promise<void> = Promise.resolve();
  const patch = async (body: Buffer, start: number) => {
    const res = await client.expect(
      {
        method: "PATCH",
        path: location,
        scope,
        body,
        headers: { "content-type": "application/octet-stream", "content-range": `${start}-${start + body.length - 1}`, "content-length": String(body.length) },
      },
      [202],
      `uploading a chunk of ${repo}`,
    );
    await res.body?.cancel();
    location = absolute(client, res.headers.get("location") ?? location);
    onBytes?.(start + body.length);
  };
  const flush = async () => {
    await inFlight;
    if (filled === 0) return;
    const body = chunk.subarray(0, filled);
    inFlight = patch(body, sent);
    inFlight.catch(() => undefined); // observed by the next flush
    sent += filled;
    filled = 0;
    [chunk, spare] = [spare, chunk];
  };
  for await (const piece of source) {
    hash.update(piece);
    let offset = 0;
    while (offset < piece.length) {
      const n = Math.min(piece.length - offset, chunkSize - filled);
      piece.copy(chunk, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === chunkSize) await flush();
    }
  }
  await flush();
  await inFlight;
  const digest = `sha256:${hash.digest("hex")}`;
  const res = await client.expect({ method: "PUT", path: withDigest(location, digest), scope, headers: { "content-length": "0" } }, [201, 204], `finishing the upload of ${digest} to ${repo}`);
  await res.body?.cancel();
  return { digest, size: sent };
}

async function startUpload(client: RegistryClient, repo: string): Promise<string> {
  const res = await client.expect({ method: "POST", path: `/v2/${repo}/blobs/uploads/`, scope: scopeFor(repo, "pull,push"), headers: { "content-length": "0" } }, [202], `starting an upload to ${repo}`);
  await res.body?.cancel();
  const location = res.headers.get("location");
  if (!location) throw new RepositoryError(`the registry opened an upload to ${repo} without a Location header; it does not follow the OCI distribution spec`);
  return location;
}

function absolute(client: RegistryClient, location: string): string {
  return client.url(location.startsWith("/") || /^https?:/.test(location) ? location : `/${location}`);
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  url.searchParams.set("digest", digest);
  return url.toString();
}
