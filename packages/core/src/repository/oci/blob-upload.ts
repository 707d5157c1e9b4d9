// Blob uploads per the OCI distribution spec: HEAD to skip what the registry has, a cross-
// repository mount where we know a source, else POST a session, PATCH chunks with
// Content-Range, and a final PUT ?digest=. Chunks are the only bytes held in memory.
import { createHash } from "node:crypto";
import { RepositoryError } from "../../errors.js";
import { errorText, scopeFor, type RegistryClient } from "./client.js";
import { retryAfterMs, TransientRegistryError, withRetries } from "./retry-policy.js";

/** The registry dropped the upload session (distribution does after a broken PATCH): start the blob again. */
export class UploadSessionLostError extends TransientRegistryError {}

export interface UploadedBlob {
  digest: string;
  size: number;
}

export async function blobExists(client: RegistryClient, repo: string, digest: string): Promise<boolean> {
  const res = await client.expect(
    { method: "HEAD", path: `/v2/${repo}/blobs/${digest}`, scope: scopeFor(repo, "pull,push") },
    [200, 404],
    `checking blob ${digest}`,
  );
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
  if (res.status === 202 && location)
    await client
      .send({ method: "DELETE", path: client.url(absolute(client, location)), scope: scopeFor(repo, "pull,push") })
      .then((r) => r.body?.cancel())
      .catch(() => undefined);
  return false;
}

/** Upload a small blob (the config) in one PUT. */
export async function uploadSmallBlob(client: RegistryClient, repo: string, data: Buffer, digest: string): Promise<void> {
  if (await blobExists(client, repo, digest)) return;
  const location = await startUpload(client, repo);
  const url = withDigest(absolute(client, location), digest);
  const res = await client.expect(
    {
      method: "PUT",
      path: url,
      scope: scopeFor(repo, "pull,push"),
      body: data,
      headers: { "content-type": "application/octet-stream", "content-length": String(data.length) },
    },
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
  // A chunk whose PATCH failed may have reached the registry in part: ask how far the upload got
  // and send only the rest (chunk re-upload), within the operation's retries and deadline.
  const patch = async (body: Buffer, start: number) => {
    let have = start;
    const sendRest = async () => {
      const part = body.subarray(have - start);
      if (part.length === 0) return;
      const res = await client.send({
        method: "PATCH",
        path: location,
        scope,
        body: part,
        retry: false,
        headers: { "content-type": "application/octet-stream", "content-range": `${have}-${have + part.length - 1}`, "content-length": String(part.length) },
      });
      if (res.status === 202) {
        await res.body?.cancel();
        location = absolute(client, res.headers.get("location") ?? location);
        return;
      }
      const detail = await errorText(res);
      if (res.status >= 500 || res.status === 429 || res.status === 416) {
        throw new TransientRegistryError(
          `${client.location.display} answered HTTP ${res.status} to a chunk of ${repo}`,
          `HTTP ${res.status}`,
          retryAfterMs(res.headers.get("retry-after")),
        );
      }
      throw new RepositoryError(
        `uploading a chunk of ${repo} failed: PATCH ${client.location.display} answered HTTP ${res.status}${detail ? ` (${detail})` : ""}`,
      );
    };
    const resync = async () => {
      const status = await uploadStatus(client, location, scope);
      location = status.location;
      if (status.offset < start || status.offset > start + body.length) {
        throw new RepositoryError(
          `the registry's upload to ${repo} is at byte ${status.offset}, outside the chunk ${start}-${start + body.length - 1} being re-sent; push again`,
        );
      }
      have = status.offset;
    };
    await withRetries(`uploading a chunk of ${repo}`, client.retry, client.reporter, sendRest, resync, (e) => e instanceof UploadSessionLostError);
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
  const res = await client.send({ method: "PUT", path: withDigest(location, digest), scope, headers: { "content-length": "0" } });
  await res.body?.cancel();
  // A retried PUT whose first try completed finds the session gone: the blob is there all the same.
  const done = res.status === 201 || res.status === 204 || (res.status === 404 && (await blobExists(client, repo, digest)));
  if (!done) throw new RepositoryError(`finishing the upload of ${digest} to ${repo} failed: PUT ${client.location.display} answered HTTP ${res.status}`);
  return { digest, size: sent };
}

/** How many bytes the registry holds of an upload session (GET <location> → Range: 0-<last>). */
async function uploadStatus(client: RegistryClient, location: string, scope: string): Promise<{ offset: number; location: string }> {
  const res = await client.expect({ method: "GET", path: location, scope }, [204, 404], "asking the registry how far an upload got");
  await res.body?.cancel();
  if (res.status === 404) throw new UploadSessionLostError(`the registry dropped the upload session after a failed chunk`, "upload session lost");
  const range = /^(?:bytes=)?0-(\d+)$/.exec(res.headers.get("range") ?? "");
  // distribution writes "0-0" for an empty upload as well as for one byte; chunks are never one byte.
  const last = range ? Number(range[1]) : 0;
  return { offset: last > 0 ? last + 1 : 0, location: absolute(client, res.headers.get("location") ?? location) };
}

async function startUpload(client: RegistryClient, repo: string): Promise<string> {
  const res = await client.expect(
    { method: "POST", path: `/v2/${repo}/blobs/uploads/`, scope: scopeFor(repo, "pull,push"), headers: { "content-length": "0" } },
    [202],
    `starting an upload to ${repo}`,
  );
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
