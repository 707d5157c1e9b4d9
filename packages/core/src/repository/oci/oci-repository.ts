// A repository in an OCI registry (`oci://host[:port]/namespace`). Image `name` is the OCI
// repository `<namespace>/<name>`; each version is an OCI tag holding an artifact manifest whose
// config is our canonical manifest (so the config digest is the image id) and whose layer is the
// gzip-compressed disk. Pulls land in a per-runner verified cache; pushes and pulls are audited in
// a local log under the cache dir (docs/oci.md).
import path from "node:path";
import { AuditLog, type AuditEventInput } from "../../audit/index.js";
import {
  DbcloneError,
  DigestMismatchError,
  ImageInUseError,
  ImageNotFoundError,
  NotSupportedError,
  RepositoryError,
  UsageError,
  VersionExistsError,
} from "../../errors.js";
import { manifestDigest } from "../../image/digest.js";
import { parseManifest, validateManifest, VERSION_PATTERN, type ImageManifest } from "../../image/manifest.js";
import { formatImageRef, type ImageRef } from "../../image/reference.js";
import { silentReporter, type Reporter } from "../../reporter.js";
import { BlobCache, type BlobCacheOptions } from "../cache/blob-cache.js";
import { defaultCacheDir } from "../cache/cache-dir.js";
import { checkDiskFile } from "../fs-publish.js";
import type { ImageSummary, PublishedImage, PushOptions, Repository } from "../types.js";
import { downloadLayer, type DownloadStats } from "./blob-download.js";
import { checkImageManifest } from "./descriptor.js";
import { RegistryClient } from "./client.js";
import { findCredentials, type RegistryCredentials } from "./credentials.js";
import { KnownLayers } from "./known-layers.js";
import { parseOciLocation, repositoryOf, type OciLocation } from "./location.js";
import { deleteManifest, getManifest, getSmallBlob, listCatalog, putManifest, type FetchedManifest } from "./manifests.js";
import * as mt from "./media-types.js";
import { pushImage } from "./push-image.js";
import { isDbcloneManifest, movableTags, scanTags } from "./tag-scan.js";
import { asRegistryOperation, retrySettingsFrom, withRetries, type RegistryOperation, type RetrySettings } from "./retry-policy.js";
import { rm } from "node:fs/promises";
import { AUDIT_REPOSITORY, OciAuditArtifacts } from "./audit-artifacts.js";
import { RunnerChainPublisher } from "./audit-publisher.js";
import { recordDoneWork } from "../audit-after-work.js";
import { diskFullError } from "../../util/disk-full.js";
import { removeOwnPartials } from "./partial-files.js";

export interface OciRepositoryOptions {
  /** The local image cache (default: RUNNER_TOOL_CACHE/dbclone in Actions, else <DBCLONE_HOME>/cache). */
  cacheDir?: string;
  /** Size limit and protected digests of the cache. */
  cache?: Omit<BlobCacheOptions, "reporter">;
  credentials?: RegistryCredentials;
  env?: NodeJS.ProcessEnv;
  dockerConfig?: string;
  /** Speak plain HTTP to a non-loopback registry (never for real credentials). */
  plainHttp?: boolean;
  /** Bytes per PATCH of a chunked upload (default 16 MiB). */
  chunkSizeBytes?: number;
  /** gzip level of the disk layer, 1-9 (default 1: qcow2 is mostly zeros and pages; speed matters more). */
  compressionLevel?: number;
  reporter?: Reporter;
  /** The HTTP client (default: Node's fetch); tests wrap it to watch requests. */
  fetch?: typeof fetch;
  /** Retries, backoff and the deadline of a push or pull (default: DEFAULT_RETRY, then DBCLONE_REGISTRY_* env). */
  retry?: Partial<RetrySettings>;
  /** Publish this runner's audit chain to the registry after each event (default true; DBCLONE_AUDIT_PUBLISH=0 turns it off). */
  publishAudit?: boolean;
}

export interface OciPullOptions extends PushOptions {
  /** Abort the download; the bytes received so far are kept and the next pull resumes from them. */
  signal?: AbortSignal;
}

export class OciRepository implements Repository {
  readonly location: string;
  readonly audit: AuditLog;
  readonly oci: OciLocation;
  readonly cache: BlobCache;
  /** How the last download went (for progress messages and tests). */
  lastDownload?: DownloadStats;
  /** The retries the last push or pull needed, and why. */
  lastOperation?: RegistryOperation;
  private readonly reporter: Reporter;
  private readonly knownLayers: KnownLayers;
  private client?: Promise<RegistryClient>;
  readonly auditChain: RunnerChainPublisher;

  constructor(
    location: string,
    private readonly opts: OciRepositoryOptions = {},
  ) {
    this.oci = parseOciLocation(location, opts.plainHttp);
    this.location = this.oci.display;
    this.reporter = opts.reporter ?? silentReporter;
    const cacheDir = path.resolve(opts.cacheDir ?? defaultCacheDir(opts.env));
    this.cache = new BlobCache(cacheDir, { ...opts.cache, reporter: this.reporter });
    this.knownLayers = new KnownLayers(cacheDir);
    const logDir = path.join(cacheDir, "audit", this.oci.registry.replace(/[^A-Za-z0-9.-]/g, "_"), this.oci.namespace || "_root");
    // Each runner keeps its own log and publishes it to the registry as its chain of segments.
    const publish = opts.publishAudit ?? (opts.env ?? process.env).DBCLONE_AUDIT_PUBLISH !== "0";
    this.audit = new AuditLog(path.join(logDir, "events.jsonl"), undefined, publish ? { afterAppend: () => this.publishAuditChain() } : {});
    this.auditChain = new RunnerChainPublisher(logDir, this.audit, () => this.auditArtifacts());
  }

  async push(input: ImageManifest, diskFile: string, opts: PushOptions = {}): Promise<PublishedImage> {
    const manifest = validateManifest(input, "manifest to publish");
    await checkDiskFile(manifest, diskFile);
    const label = `${manifest.name}:${manifest.version}`;
    const context = { runUrl: manifest.build.runUrl, commit: manifest.git?.commit };
    try {
      const client = await this.registry();
      const published = await asRegistryOperation(`push of ${label}`, client.retry, this.reporter, (op) => {
        this.lastOperation = op;
        return pushImage(client, this.repo(manifest.name), manifest, diskFile, this.pushSettings(), opts);
      });
      await recordDoneWork(
        this.audit,
        { action: "publish", outcome: "success", image: label, digest: published.manifestDigest, detail: `to ${this.location}`, ...context },
        this.reporter,
      );
      return published;
    } catch (e) {
      if (e instanceof VersionExistsError || e instanceof DigestMismatchError)
        await this.record({ action: "publish", outcome: "failure", image: label, detail: e.message, ...context });
      throw e;
    }
  }

  async resolve(ref: ImageRef): Promise<PublishedImage> {
    if (ref.variant)
      throw new NotSupportedError(`'${formatImageRef(ref)}': masking variants (name+variant) are reserved syntax; OCI repositories do not store variants yet`);
    const client = await this.registry();
    const repo = this.repo(ref.name);
    if (ref.digest) {
      const hit = (await scanTags(client, repo)).find((t) => t.imageId === ref.digest && t.version === t.tag && (!ref.version || ref.version === t.version));
      if (!hit) throw this.notFound(formatImageRef(ref), "no version has that digest");
      return this.published(repo, hit);
    }
    const wanted = ref.version ?? "latest";
    const fetched = await getManifest(client, repo, wanted);
    if (!fetched || !isDbcloneManifest(fetched))
      throw this.notFound(`${ref.name}:${wanted}`, fetched ? "that tag is not a dbclone image" : `no version or tag '${wanted}'`);
    return this.published(repo, fetched);
  }

  /** The verified, decompressed disk in the local cache (downloaded once per runner). */
  async pull(image: PublishedImage, opts: OciPullOptions = {}): Promise<string> {
    const label = `${image.name}:${image.version}`;
    const repo = this.repo(image.name);
    try {
      const result = await this.cache.obtain(image.manifest.disk.digest, (target) =>
        asRegistryOperation(`pull of ${label}`, this.retrySettings(), this.reporter, async (op) => {
          this.lastOperation = op;
          const client = await this.registry();
          const fetched = await getManifest(client, repo, image.version);
          if (!fetched || (fetched.manifest.annotations?.[mt.ANNOTATION_IMAGE_ID] ?? fetched.manifest.config.digest) !== image.manifestDigest) {
            throw this.notFound(`${label}@${image.manifestDigest}`, "the version tag no longer points at this image; resolve it again");
          }
          const { layer } = checkImageManifest(fetched.manifest, `${label} in ${this.location}`);
          if (!layer) throw new NotSupportedError(`${label} in ${this.location} has no dbclone disk layer; it was not pushed by dbclone`);
          // A connection dropped mid-layer resumes with a Range request from the bytes kept so far.
          this.lastDownload = await withRetries(`downloading ${layer.digest.slice(0, 19)}…`, client.retry, this.reporter, async () => {
            await rm(target.tempFile, { force: true });
            const signal = opts.signal ? AbortSignal.any([opts.signal, target.signal]) : target.signal;
            return downloadLayer({
              client,
              repo,
              layer,
              expected: image.manifest.disk,
              tempFile: target.tempFile,
              partialDir: target.partialDir,
              onProgress: opts.onProgress,
              signal,
            });
          });
          await this.knownLayers.remember(image.manifest.disk.digest, layer, `${this.oci.registry}/${repo}`);
        }),
      );
      if (!result.downloaded) this.lastDownload = undefined;
      await this.record({
        action: "pull",
        outcome: "success",
        image: label,
        digest: image.manifestDigest,
        detail: result.downloaded ? `downloaded from ${this.location}` : "from the local cache",
      });
      return result.path;
    } catch (e) {
      if (e instanceof DigestMismatchError)
        await this.record({ action: "pull", outcome: "failure", image: label, digest: image.manifestDigest, detail: e.message });
      const full = await diskFullError(e, [this.cache.dir], `pulling ${label} into the cache`);
      // A full cache keeps no partial download either: the next pull starts clean.
      if (full) await removeOwnPartials(this.cache.partialDir);
      throw full ?? e;
    }
  }

  async list(name?: string): Promise<ImageSummary[]> {
    const names = name ? [name] : await this.catalog();
    const out: ImageSummary[] = [];
    for (const n of names) {
      const scanned = await scanTags(await this.registry(), this.repo(n));
      const tags = movableTags(scanned);
      for (const t of scanned.filter((s) => s.version === s.tag)) {
        const a = t.manifest.annotations ?? {};
        const layer = t.manifest.layers.find((l) => mt.layerCompression(l.mediaType) !== undefined);
        out.push({
          name: n,
          version: t.tag,
          manifestDigest: t.imageId!,
          created: a[mt.ANNOTATION_CREATED] ?? "",
          diskSizeBytes: Number(layer?.annotations?.[mt.ANNOTATION_UNCOMPRESSED_SIZE] ?? layer?.size ?? 0),
          tags: Object.entries(tags)
            .filter(([, v]) => v === t.tag)
            .map(([k]) => k)
            .sort(),
          ...(a[mt.ANNOTATION_PARENT] ? { parent: a[mt.ANNOTATION_PARENT] } : {}),
        });
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.created.localeCompare(b.created) || a.version.localeCompare(b.version));
  }

  async tags(name: string): Promise<Record<string, string>> {
    return movableTags(await scanTags(await this.registry(), this.repo(name)));
  }

  async tag(image: PublishedImage, tag: string): Promise<void> {
    if (!VERSION_PATTERN.test(tag)) throw new UsageError(`tag '${tag}' must be 1-128 of A-Z a-z 0-9 _ . - and not start with . or -`);
    const client = await this.registry();
    const repo = this.repo(image.name);
    const version = await this.mustExist(repo, image);
    const existing = await getManifest(client, repo, tag);
    if (existing && existing.manifest.annotations?.[mt.ANNOTATION_IMAGE_VERSION] === tag) {
      throw new UsageError(`'${tag}' is a version of image ${image.name}; a tag must not shadow a version: choose another tag`);
    }
    await putManifest(client, repo, tag, version.bytes, version.manifest.mediaType);
    await this.record({ action: "tag", outcome: "success", image: `${image.name}:${image.version}`, digest: image.manifestDigest, detail: `tag ${tag}` });
  }

  async untag(name: string, tag: string): Promise<void> {
    const client = await this.registry();
    const repo = this.repo(name);
    const existing = await getManifest(client, repo, tag);
    if (!existing) throw this.notFound(`${name}:${tag}`, "no such tag; nothing to untag");
    if (existing.manifest.annotations?.[mt.ANNOTATION_IMAGE_VERSION] === tag)
      throw new UsageError(`'${tag}' is a version of ${name}, not a movable tag; delete the version instead`);
    // DELETE by tag removes only the tag where the registry supports it (OCI 1.1); others refuse clearly.
    await deleteManifest(client, repo, tag);
    await this.record({ action: "untag", outcome: "success", image: name, detail: `tag ${tag}` });
  }

  /** Deletes the version's OCI manifest by digest; `force` also drops the movable tags that point at it. */
  async delete(image: PublishedImage, opts: { liveCloneDigests: string[]; force?: boolean }): Promise<void> {
    const label = `${image.name}:${image.version}`;
    const client = await this.registry();
    const repo = this.repo(image.name);
    const version = await this.mustExist(repo, image);
    const scanned = await scanTags(client, repo);
    const users = [
      ...(opts.force ? [] : scanned.filter((t) => t.digest === version.digest && t.tag !== image.version).map((t) => `tag '${t.tag}'`)),
      ...scanned
        .filter((t) => t.version === t.tag && t.manifest.annotations?.[mt.ANNOTATION_PARENT] === image.manifestDigest)
        .map((t) => `version ${image.name}:${t.tag} (its parent)`),
      ...(opts.liveCloneDigests.includes(image.manifestDigest) ? ["a live clone"] : []),
    ];
    if (users.length) {
      const detail = `still referenced by ${users.join(", ")}`;
      await this.record({ action: "delete", outcome: "failure", image: label, digest: image.manifestDigest, detail });
      throw new ImageInUseError(`cannot delete ${label}: ${detail}; untag it, delete child versions and tear down clones first`);
    }
    await deleteManifest(client, repo, version.digest);
    await this.record({ action: "delete", outcome: "success", image: label, digest: image.manifestDigest, detail: `from ${this.location}` });
  }

  private async published(repo: string, fetched: FetchedManifest): Promise<PublishedImage> {
    const client = await this.registry();
    const { config: configDescriptor } = checkImageManifest(fetched.manifest, `${repo} in ${this.location}`);
    const config = await getSmallBlob(client, repo, configDescriptor.digest);
    const manifest = parseManifest(config.toString("utf8"), `${this.location}/${repo}@${fetched.manifest.config.digest}`);
    return { name: manifest.name, version: manifest.version, manifestDigest: manifestDigest(manifest), manifest };
  }

  private async mustExist(repo: string, image: PublishedImage): Promise<FetchedManifest> {
    const fetched = await getManifest(await this.registry(), repo, image.version);
    if (!fetched || (fetched.manifest.annotations?.[mt.ANNOTATION_IMAGE_ID] ?? fetched.manifest.config.digest) !== image.manifestDigest) {
      throw this.notFound(`${image.name}:${image.version}@${image.manifestDigest}`, "resolve it again");
    }
    return fetched;
  }

  /** Image names under our namespace, via /v2/_catalog (which many hosted registries do not offer). */
  private async catalog(): Promise<string[]> {
    const repos = await listCatalog(await this.registry());
    if (!repos)
      throw new NotSupportedError(
        `${this.location} does not list its repositories (no /v2/_catalog for these credentials); name the image to list its versions`,
      );
    const prefix = this.oci.namespace ? `${this.oci.namespace}/` : "";
    return repos
      .filter((r) => r.startsWith(prefix))
      .map((r) => r.slice(prefix.length))
      .filter((n) => n !== AUDIT_REPOSITORY);
  }

  private repo(name: string): string {
    return repositoryOf(this.oci, name);
  }

  private registry(): Promise<RegistryClient> {
    this.client ??= findCredentials(
      this.oci.registry,
      { credentials: this.opts.credentials, env: this.opts.env, dockerConfig: this.opts.dockerConfig },
      this.reporter,
    ).then((creds) => new RegistryClient(this.oci, creds, this.opts.fetch ?? fetch, this.reporter, this.retrySettings()));
    return this.client;
  }

  /** The registry's audit artifacts: runner chains and anchors (`<namespace>/dbclone-audit`). */
  async auditArtifacts(): Promise<OciAuditArtifacts> {
    return new OciAuditArtifacts(await this.registry(), this.repo(AUDIT_REPOSITORY));
  }

  /** Push the events not yet published; a registry that fails is a warning (they go with the next segment). */
  async publishAuditChain(): Promise<void> {
    try {
      await asRegistryOperation("audit chain publish", { ...this.retrySettings(), deadlineMs: 15_000 }, this.reporter, () => this.auditChain.publish());
    } catch (e) {
      this.reporter.warn(`could not publish this runner's audit events to ${this.location} (${(e as Error).message}); they will go with the next event`);
    }
  }

  private retrySettings(): RetrySettings {
    return retrySettingsFrom(this.opts.env ?? process.env, this.opts.retry);
  }

  private pushSettings() {
    return { chunkSizeBytes: this.opts.chunkSizeBytes ?? 16 << 20, compressionLevel: this.opts.compressionLevel ?? 1, knownLayers: this.knownLayers };
  }

  private notFound(what: string, why: string): ImageNotFoundError {
    return new ImageNotFoundError(`image ${what} not found in ${this.location}: ${why}; list the repository's images to see what exists`);
  }

  private async record(event: AuditEventInput): Promise<void> {
    try {
      await this.audit.append(event);
    } catch (e) {
      throw e instanceof DbcloneError
        ? e
        : new RepositoryError(`could not append to the local audit log ${this.audit.filePath}: ${(e as Error).message}`, { cause: e });
    }
  }
}
