// OCI manifests, tags and small blobs: get, head, put, delete, and the paginated tag list.
import { createHash } from "node:crypto";
import { DigestMismatchError, ImageNotFoundError, NotSupportedError, RepositoryError, UnreachableError } from "../../errors.js";
import { errorText, scopeFor, type RegistryClient } from "./client.js";
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, MAX_TAG_PAGE_BYTES, checkManifestShape, isValidDigest, isValidTag, readCapped } from "./descriptor.js";
import { OCI_MANIFEST_MEDIA_TYPE, type OciImageManifest } from "./media-types.js";

export interface FetchedManifest {
  /** The exact bytes, so a movable tag can be pointed at the same digest. */
  bytes: Buffer;
  digest: string;
  manifest: OciImageManifest;
}

const ACCEPT = [OCI_MANIFEST_MEDIA_TYPE, "application/vnd.docker.distribution.manifest.v2+json"].join(", ");

/** The manifest a tag or digest names, or undefined when the registry has none. */
export async function getManifest(client: RegistryClient, repo: string, reference: string): Promise<FetchedManifest | undefined> {
  if (!isValidTag(reference) && !isValidDigest(reference)) {
    throw new RepositoryError(`'${reference.slice(0, 140)}' is neither a tag nor a sha256 digest; nothing was requested`);
  }
  const res = await client.expect(
    { method: "GET", path: `/v2/${repo}/manifests/${reference}`, scope: scopeFor(repo, "pull"), headers: { accept: ACCEPT } },
    [200, 404],
    `reading manifest ${repo}:${reference}`,
  );
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  const bytes = await readCapped(res, MAX_MANIFEST_BYTES, `manifest ${repo}:${reference} in ${client.location.display}`);
  const digest = sha256(bytes);
  if (reference.startsWith("sha256:") && digest !== reference) {
    throw new DigestMismatchError(
      `manifest ${repo}@${reference} from ${client.location.display} hashes to ${digest}: the registry returned other bytes; do not use this registry copy`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new RepositoryError(
      `manifest ${repo}:${reference} in ${client.location.display} is not JSON (${(e as Error).message}); it was not pushed by dbclone`,
    );
  }
  return { bytes, digest, manifest: checkManifestShape(parsed, `manifest ${repo}:${reference} in ${client.location.display}`) };
}

/** The digest a tag points at, or undefined. */
export async function headManifest(client: RegistryClient, repo: string, reference: string): Promise<string | undefined> {
  const res = await client.expect(
    { method: "HEAD", path: `/v2/${repo}/manifests/${reference}`, scope: scopeFor(repo, "pull"), headers: { accept: ACCEPT } },
    [200, 404],
    `checking tag ${repo}:${reference}`,
  );
  await res.body?.cancel();
  if (res.status === 404) return undefined;
  const header = res.headers.get("docker-content-digest");
  return header && isValidDigest(header) ? header : (await getManifest(client, repo, reference))?.digest;
}

export async function putManifest(client: RegistryClient, repo: string, tag: string, bytes: Buffer, mediaType = OCI_MANIFEST_MEDIA_TYPE): Promise<string> {
  const res = await client.expect(
    { method: "PUT", path: `/v2/${repo}/manifests/${tag}`, scope: scopeFor(repo, "pull,push"), body: bytes, headers: { "content-type": mediaType } },
    [201],
    `writing tag ${repo}:${tag}`,
  );
  await res.body?.cancel();
  return sha256(bytes);
}

/** DELETE by digest (removes every tag pointing at it). NotSupportedError when the registry forbids deletes. */
export async function deleteManifest(client: RegistryClient, repo: string, reference: string): Promise<void> {
  const res = await client.send({ method: "DELETE", path: `/v2/${repo}/manifests/${reference}`, scope: scopeFor(repo, "delete") });
  if (res.status === 202 || res.status === 200) return void (await res.body?.cancel());
  const detail = await errorText(res);
  if (res.status === 405 || res.status === 400 || /UNSUPPORTED/.test(detail)) {
    throw new NotSupportedError(
      `${client.location.display} does not allow deleting ${repo}:${reference} (HTTP ${res.status}${detail ? `: ${detail}` : ""}); ` +
        "enable deletion in the registry (distribution: storage.delete.enabled) or delete it in the registry's own UI",
    );
  }
  if (res.status === 404) throw new ImageNotFoundError(`${repo}:${reference} is not in ${client.location.display}; nothing to delete`);
  throw new RepositoryError(`deleting ${repo}:${reference} in ${client.location.display} failed with HTTP ${res.status}${detail ? ` (${detail})` : ""}`);
}

/** Every tag of `repo`, following `Link` headers (n/last pagination). [] when the repository does not exist. */
export async function listTags(client: RegistryClient, repo: string, pageSize = 1000): Promise<string[]> {
  return listPaged(client, `/v2/${repo}/tags/list`, "tags", scopeFor(repo, "pull"), pageSize);
}

/** Every repository the registry lists (/v2/_catalog); undefined when it does not offer the catalog. */
export async function listCatalog(client: RegistryClient, pageSize = 1000): Promise<string[] | undefined> {
  try {
    return await listPaged(client, "/v2/_catalog", "repositories", "registry:catalog:*", pageSize);
  } catch (e) {
    // No catalog for these credentials: undefined; a registry that cannot be reached says so.
    if (e instanceof RepositoryError && !(e instanceof UnreachableError)) return undefined;
    throw e;
  }
}

async function listPaged(client: RegistryClient, base: string, key: "tags" | "repositories", scope: string, pageSize: number): Promise<string[]> {
  const all: string[] = [];
  let next: string | undefined = `${base}?n=${pageSize}`;
  for (let pages = 0; next && pages < 10_000; pages++) {
    const res: Response = await client.expect({ method: "GET", path: next, scope }, [200, 404], `listing ${base}`);
    if (res.status === 404) {
      await res.body?.cancel();
      return all;
    }
    const body = await readCapped(res, MAX_TAG_PAGE_BYTES, `the list at ${base}`);
    let page: unknown;
    try {
      page = (JSON.parse(body.toString("utf8")) as Record<string, unknown>)[key] ?? [];
    } catch (e) {
      throw new RepositoryError(`the list at ${base} in ${client.location.display} is not JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(page)) throw new RepositoryError(`the list at ${base} in ${client.location.display} has no ${key} array`);
    // A name that is not a tag (or repository path) never becomes a request path.
    const names = page.filter((n): n is string => typeof n === "string" && (key === "tags" ? isValidTag(n) : /^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/.test(n)));
    all.push(...names);
    next = nextLink(res.headers.get("link"));
    // Registries without Link headers: ask for the page after the last entry seen.
    if (!next && page.length === pageSize && names.length > 0) next = `${base}?n=${pageSize}&last=${encodeURIComponent(names[names.length - 1]!)}`;
  }
  return all;
}

function nextLink(header: string | null): string | undefined {
  const m = header ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(header) : null;
  return m ? m[1] : undefined;
}

/** A small blob (the config), verified against its digest. */
export async function getSmallBlob(client: RegistryClient, repo: string, digest: string, maxBytes = MAX_CONFIG_BYTES): Promise<Buffer> {
  if (!isValidDigest(digest))
    throw new RepositoryError(`blob digest '${digest.slice(0, 80)}' of ${repo} is not sha256:<64 lowercase hex>; nothing was requested`);
  const res = await client.expect({ method: "GET", path: `/v2/${repo}/blobs/${digest}`, scope: scopeFor(repo, "pull") }, [200, 404], `reading blob ${digest}`);
  if (res.status === 404) {
    await res.body?.cancel();
    throw new RepositoryError(`blob ${digest} of ${repo} is missing from ${client.location.display}; the image is damaged: publish it again`);
  }
  const bytes = await readCapped(res, maxBytes, `blob ${digest} of ${repo}`);
  if (sha256(bytes) !== digest) {
    throw new DigestMismatchError(
      `blob ${digest} of ${repo} in ${client.location.display} hashes to ${sha256(bytes)}: the registry copy is corrupt; publish the image again`,
    );
  }
  return bytes;
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
