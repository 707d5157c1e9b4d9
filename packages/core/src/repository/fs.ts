// A repository in a directory or on an SMB share. Layout (see DESIGN.md):
//   dbclone-repository.json   {format, config: {maxTtlSeconds}}
//   blobs/sha256/<hex>        disk blobs, content-addressed, mode 0444
//   manifests/<name>/<version>.json   canonical manifest JSON; created once, never overwritten
//   tags/<name>/<tag>         the version a movable tag points at
//   audit/events.jsonl        hash-chained audit log (+ events.head)
import { mkdir, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { AuditLog, type AuditEventInput } from "../audit/index.js";
import { withFileLock } from "../util/file-lock.js";
import { DbcloneError, DigestMismatchError, ImageInUseError, ImageNotFoundError, RepositoryError, UsageError, VersionExistsError } from "../errors.js";
import { sha256File } from "../image/digest.js";
import { validateManifest, VERSION_PATTERN, type ImageManifest } from "../image/manifest.js";
import { formatImageRef, type ImageRef } from "../image/reference.js";
import { variantImageName } from "../masking/variants.js";
import { dbcloneHome } from "../util/paths.js";
import { removeStaleTemps } from "./durable-files.js";
import { syncDir, tempPath, unlinkQuietly, writeDurable } from "../util/durable-write.js";
import { checkDiskFile, placeWithoutOverwrite, publishBlobAndManifest, versionExists } from "./fs-publish.js";
import { allPublished, isNotFound, readPublished, readTags } from "./fs-scan.js";
import { validatedManifests, type ValidatedManifests } from "./validated-manifests.js";
import { assertUsableRoot, configOf, FsLayout, readConfigFile, REPOSITORY_FORMAT, type RepositoryConfig } from "./layout.js";
import type { ImageSummary, PublishedImage, PushOptions, Repository } from "./types.js";
import type { StampedDigestCache } from "../util/stamped-digests.js";
import { verifiedBlobCache } from "./verified-blobs.js";
import { recordDoneWork } from "./audit-after-work.js";
import { diskFullError } from "../util/disk-full.js";
import type { Reporter } from "../reporter.js";

export interface FsRepositoryOptions {
  /** Where verified-blob stamps are kept (default <DBCLONE_HOME>/cache). */
  cacheDir?: string;
  /** Temps untouched this long are a dead writer's leftovers (default 60). */
  staleTempMinutes?: number;
  /** Where warnings go (an audit entry that could not be written after a publish). */
  reporter?: Reporter;
}

export class FsRepository implements Repository {
  readonly location: string;
  readonly audit: AuditLog;
  readonly layout: FsLayout;
  private readonly cache: StampedDigestCache;
  private readonly validated: ValidatedManifests;
  private readonly staleTempMs: number;
  private readonly reporter?: Reporter;

  constructor(root: string, opts: FsRepositoryOptions = {}) {
    this.location = path.resolve(root);
    this.layout = new FsLayout(this.location);
    // An event recorded before anything was published (a failed first build) must not leave a
    // bare audit/ directory that later reads as "not a dbclone repository".
    this.audit = new AuditLog(this.layout.auditFile, () => this.ensureLayout());
    const cacheDir = opts.cacheDir ?? path.join(dbcloneHome(), "cache");
    this.cache = verifiedBlobCache(cacheDir);
    this.validated = validatedManifests(cacheDir);
    this.staleTempMs = (opts.staleTempMinutes ?? 60) * 60_000;
    this.reporter = opts.reporter;
  }

  async readConfig(): Promise<RepositoryConfig> {
    return configOf(await readConfigFile(this.layout), this.layout.configFile);
  }

  async push(input: ImageManifest, diskFile: string, opts: PushOptions = {}): Promise<PublishedImage> {
    // Everything that can be refused without writing is checked first: a bad request leaves no trace.
    const manifest = validateManifest(input, "manifest to publish");
    const label = `${manifest.name}:${manifest.version}`;
    await checkDiskFile(manifest, diskFile);
    await readConfigFile(this.layout);
    const context = { runUrl: manifest.build.runUrl, commit: manifest.git?.commit };
    if (await readPublished(this.layout, manifest.name, manifest.version)) {
      const e = versionExists(manifest.name, manifest.version);
      await this.record({ action: "publish", outcome: "failure", image: label, detail: e.message, ...context });
      throw e;
    }
    if ((await readTags(this.layout, manifest.name))[manifest.version]) {
      throw new UsageError(`image ${manifest.name} has a tag named '${manifest.version}'; a version must not shadow a tag: choose another version`);
    }
    await this.ensureLayout();
    try {
      const published = await publishBlobAndManifest(
        {
          layout: this.layout,
          cache: this.cache,
          staleTempMs: this.staleTempMs,
          locked: (fn) => this.locked(fn),
          blobIsGood: (blob, digest, o) => this.blobIsGood(blob, digest, o),
          blobReferenced: async (digest) => (await allPublished(this.layout)).some((i) => i.manifest.disk.digest === digest),
        },
        manifest,
        diskFile,
        opts,
      );
      await recordDoneWork(this.audit, { action: "publish", outcome: "success", image: label, digest: published.manifestDigest, ...context }, this.reporter);
      return published;
    } catch (e) {
      if (e instanceof VersionExistsError || e instanceof DigestMismatchError) {
        await this.record({ action: "publish", outcome: "failure", image: label, detail: e.message, ...context });
      }
      throw (await diskFullError(e, [this.layout.blobsDir], `publishing ${label} to ${this.location}`)) ?? e;
    }
  }

  async resolve(ref: ImageRef): Promise<PublishedImage> {
    if (ref.variant) {
      // Variant V of image N is stored as the image N/variants/V (see docs/masking.md).
      const { variant, ...rest } = ref;
      const found = await this.resolve({ ...rest, name: variantImageName(ref.name, variant) });
      if (found.manifest.masking?.variant !== variant) {
        throw new ImageNotFoundError(
          `image ${formatImageRef(ref)}: ${found.name}:${found.version} is not a masking variant '${variant}'; rebuild it with the policy's variant`,
        );
      }
      return found;
    }
    if (ref.digest) {
      const found = (await allPublished(this.layout, ref.name)).find((i) => i.manifestDigest === ref.digest);
      if (!found || (ref.version && found.version !== ref.version)) {
        throw new ImageNotFoundError(`image ${formatImageRef(ref)} not found in ${this.location}; list the repository's images to see what exists`);
      }
      return found;
    }
    const wanted = ref.version ?? "latest";
    const direct = await readPublished(this.layout, ref.name, wanted, this.validated);
    if (direct) return direct;
    const tagged = (await readTags(this.layout, ref.name))[wanted];
    const viaTag = tagged ? await readPublished(this.layout, ref.name, tagged, this.validated) : undefined;
    if (viaTag) return viaTag;
    const why = tagged ? `tag '${wanted}' points at version ${tagged}, which no longer exists` : `no version or tag '${wanted}'`;
    throw new ImageNotFoundError(`image ${ref.name}:${wanted} not found in ${this.location}: ${why}; list the repository's images to see what exists`);
  }

  /** The blob's path in the repository, after checking its digest (cached by stat stamp). */
  async pull(image: PublishedImage, opts: PushOptions = {}): Promise<string> {
    const digest = image.manifest.disk.digest;
    const blob = this.layout.blob(digest);
    if (!(await stat(blob).catch(() => undefined))) {
      throw new RepositoryError(
        `blob ${digest} of ${image.name}:${image.version} is missing from ${this.location}; the repository is damaged: republish the image`,
      );
    }
    if (!(await this.blobIsGood(blob, digest, opts))) {
      throw new DigestMismatchError(
        `blob ${blob} of ${image.name}:${image.version} does not hash to ${digest}: the repository copy is corrupt; delete this version and publish it again`,
      );
    }
    return blob;
  }

  async list(name?: string): Promise<ImageSummary[]> {
    const images = await allPublished(this.layout, name);
    const tagsByName = new Map<string, Record<string, string>>();
    for (const n of new Set(images.map((i) => i.name))) tagsByName.set(n, await readTags(this.layout, n));
    return images
      .map((i) => ({
        name: i.name,
        version: i.version,
        manifestDigest: i.manifestDigest,
        created: i.manifest.created,
        diskSizeBytes: i.manifest.disk.sizeBytes,
        tags: Object.entries(tagsByName.get(i.name) ?? {})
          .filter(([, v]) => v === i.version)
          .map(([t]) => t)
          .sort(),
        ...(i.manifest.parent ? { parent: i.manifest.parent } : {}),
      }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.created.localeCompare(b.created) || a.version.localeCompare(b.version));
  }

  async tags(name: string): Promise<Record<string, string>> {
    return readTags(this.layout, name);
  }

  async tag(image: PublishedImage, tag: string): Promise<void> {
    if (!VERSION_PATTERN.test(tag)) throw new UsageError(`tag '${tag}' must be 1-128 of A-Z a-z 0-9 _ . - and not start with . or -`);
    await this.ensureLayout();
    await this.locked(async () => {
      await this.mustExist(image);
      if (await readPublished(this.layout, image.name, tag)) {
        throw new UsageError(`'${tag}' is a version of image ${image.name}; a tag must not shadow a version: choose another tag`);
      }
      const dir = this.layout.tagDir(image.name);
      await mkdir(dir, { recursive: true });
      await removeStaleTemps(dir, this.staleTempMs);
      const tmp = tempPath(dir);
      await writeDurable(tmp, `${image.version}\n`);
      await rename(tmp, this.layout.tag(image.name, tag)).catch(async (e) => {
        await unlink(tmp).catch(() => undefined);
        throw new RepositoryError(
          `cannot write tag ${tag} of ${image.name} (${(e as Error).message}); an image named ${image.name}/${tag} may use that path: choose another tag`,
        );
      });
      await syncDir(dir);
    });
    await this.record({ action: "tag", outcome: "success", image: `${image.name}:${image.version}`, digest: image.manifestDigest, detail: `tag ${tag}` });
  }

  async untag(name: string, tag: string): Promise<void> {
    await this.locked(async () => {
      try {
        const st = await stat(this.layout.tag(name, tag));
        if (!st.isFile()) throw Object.assign(new Error("not a tag"), { code: "ENOENT" });
        await unlink(this.layout.tag(name, tag));
      } catch (e) {
        if (isNotFound(e)) throw new ImageNotFoundError(`image ${name} has no tag '${tag}' in ${this.location}; nothing to untag`);
        throw e;
      }
    });
    await this.record({ action: "untag", outcome: "success", image: name, detail: `tag ${tag}` });
  }

  /** `force` also removes tags pointing at the version; child versions and live clones always block. */
  async delete(image: PublishedImage, opts: { liveCloneDigests: string[]; force?: boolean }): Promise<void> {
    const label = `${image.name}:${image.version}`;
    const outcome = await this.locked(async () => {
      await this.mustExist(image);
      const all = await allPublished(this.layout);
      const tagsHere = Object.entries(await readTags(this.layout, image.name))
        .filter(([, v]) => v === image.version)
        .map(([t]) => t);
      const users = [
        ...(opts.force ? [] : tagsHere.map((t) => `tag '${t}'`)),
        ...all.filter((i) => i.manifest.parent === image.manifestDigest).map((i) => `version ${i.name}:${i.version} (its parent)`),
        ...(opts.liveCloneDigests.includes(image.manifestDigest) ? ["a live clone"] : []),
      ];
      if (users.length) return { refused: users };
      for (const t of tagsHere) await unlink(this.layout.tag(image.name, t));
      await unlink(this.layout.manifest(image.name, image.version));
      await syncDir(this.layout.manifestDir(image.name));
      const digest = image.manifest.disk.digest;
      const shared = all.some((i) => i.manifestDigest !== image.manifestDigest && i.manifest.disk.digest === digest);
      if (!shared) {
        await unlink(this.layout.blob(digest)).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
        await this.cache.forget(this.layout.blob(digest));
      }
      return { refused: undefined, untagged: opts.force ? tagsHere : [] };
    });
    if (outcome.refused) {
      const detail = `still referenced by ${outcome.refused.join(", ")}`;
      await this.record({ action: "delete", outcome: "failure", image: label, digest: image.manifestDigest, detail });
      throw new ImageInUseError(`cannot delete ${label}: ${detail}; untag it, delete child versions and tear down clones first`);
    }
    for (const t of outcome.untagged ?? []) await this.record({ action: "untag", outcome: "success", image: label, detail: `tag ${t} (forced delete)` });
    await this.record({ action: "delete", outcome: "success", image: label, digest: image.manifestDigest });
  }

  private async mustExist(image: PublishedImage): Promise<void> {
    const current = await readPublished(this.layout, image.name, image.version);
    if (!current || current.manifestDigest !== image.manifestDigest) {
      throw new ImageNotFoundError(`image ${image.name}:${image.version}@${image.manifestDigest} not found in ${this.location}; resolve it again`);
    }
  }

  private async blobIsGood(blob: string, digest: string, opts: PushOptions): Promise<boolean> {
    if (!(await stat(blob).catch(() => undefined))) return false;
    if (await this.cache.isVerified(blob, digest)) return true;
    if ((await sha256File(blob, opts.onProgress)) !== digest) return false;
    await this.cache.remember(blob, digest);
    return true;
  }

  /** Create the layout on first write; the config file comes first so it marks the directory as ours. */
  private async ensureLayout(): Promise<void> {
    if (!(await readConfigFile(this.layout))) {
      await assertUsableRoot(this.location);
      await mkdir(this.location, { recursive: true });
      const tmp = tempPath(this.location);
      await writeDurable(tmp, `${JSON.stringify({ format: REPOSITORY_FORMAT, config: {} }, null, 2)}\n`);
      // Not rename: a concurrent first writer may have created it already, and readers must never see it half written.
      await placeWithoutOverwrite(tmp, this.layout.configFile);
      await unlinkQuietly(tmp);
    }
    for (const dir of [this.layout.blobsDir, this.layout.manifestsDir, this.layout.tagsDir, path.dirname(this.layout.auditFile)]) {
      await mkdir(dir, { recursive: true });
    }
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return withFileLock(this.layout.configFile, fn);
  }

  private async record(event: AuditEventInput): Promise<void> {
    try {
      await this.audit.append(event);
    } catch (e) {
      throw e instanceof DbcloneError
        ? e
        : new RepositoryError(`could not append to the audit log ${this.audit.filePath}: ${(e as Error).message}`, { cause: e });
    }
  }
}
