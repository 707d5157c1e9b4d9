// Publishing into a directory repository. Order matters for crash safety: the blob is copied to
// a temp name (hashing while copying), fsynced and renamed into blobs/ (content-addressed, so an
// identical blob already there is fine); the manifest is written to a temp name, fsynced and
// LINKED to manifests/<name>/<version>.json, which fails if the version exists. Until that link
// nothing refers to the new files, so readers never see a partial version and a killed publisher
// leaves only `.tmp-*` files that later publishers remove.
import { pausePoint } from "../util/pause-point.js";
import { chmod, chown, link, mkdir, readFile, rename, stat } from "node:fs/promises";
import { blobGroupId } from "../util/blob-group.js";
import { DigestMismatchError, RepositoryError, UsageError, ValidationError, VersionExistsError } from "../errors.js";
import { canonicalJson, manifestDigest } from "../image/digest.js";
import type { ImageManifest } from "../image/manifest.js";
import { copyAndHash, removeStaleTemps } from "./durable-files.js";
import { syncDir, tempPath, unlinkQuietly, writeDurable } from "../util/durable-write.js";
import type { FsLayout } from "./layout.js";
import type { PublishedImage, PushOptions } from "./types.js";
import type { StampedDigestCache } from "../util/stamped-digests.js";

export interface PublishContext {
  layout: FsLayout;
  cache: StampedDigestCache;
  staleTempMs: number;
  /** Runs `fn` under the repository lock (the final link and the reference checks of delete). */
  locked<T>(fn: () => Promise<T>): Promise<T>;
  /** True when the blob at `path` is known to hold `digest` (hashing it if needed). */
  blobIsGood(path: string, digest: string, opts: PushOptions): Promise<boolean>;
  /** True when some published version's disk is this blob. */
  blobReferenced(digest: string): Promise<boolean>;
}

export function versionExists(name: string, version: string): VersionExistsError {
  return new VersionExistsError(`image ${name} version ${version} already exists; versions are immutable: choose a new version`);
}

/** Checks that need no writes: a bad disk file fails here and the repository stays untouched. */
export async function checkDiskFile(manifest: ImageManifest, diskFile: string): Promise<void> {
  const st = await stat(diskFile).catch(() => undefined);
  if (!st?.isFile()) throw new UsageError(`disk file ${diskFile} does not exist or is not a regular file; pass the sealed disk blob`);
  if (st.size !== manifest.disk.sizeBytes) {
    throw new ValidationError(
      `manifest field 'disk.sizeBytes' is ${manifest.disk.sizeBytes} but ${diskFile} holds ${st.size} bytes; rebuild the manifest from this file`,
      diskFile,
      "disk.sizeBytes",
    );
  }
}

export async function publishBlobAndManifest(ctx: PublishContext, manifest: ImageManifest, diskFile: string, opts: PushOptions): Promise<PublishedImage> {
  const { layout } = ctx;
  const { name, version } = manifest;
  const digest = manifest.disk.digest;
  const blob = layout.blob(digest);

  await removeStaleTemps(layout.blobsDir, ctx.staleTempMs);
  const dir = layout.manifestDir(name);
  await mkdir(dir, { recursive: true });
  await removeStaleTemps(dir, ctx.staleTempMs);
  const tmp = tempPath(dir);
  // The file holds exactly the canonical JSON, so `sha256sum <version>.json` is the image id.
  await writeDurable(tmp, canonicalJson(manifest), 0o444);
  try {
    // A delete or a losing publisher may remove a blob it saw unreferenced while ours was not yet
    // linked; the check under the lock catches that and we copy again.
    for (let attempt = 1; ; attempt++) {
      const addedBlob = await placeBlob(ctx, digest, diskFile, opts);
      await pausePoint("publish:before-link");
      const linked = await ctx.locked(async () => {
        if (!(await stat(blob).catch(() => undefined))) return false;
        try {
          await linkWithoutOverwrite(tmp, layout.manifest(name, version), name, version);
        } catch (e) {
          // The loser of a race removes the blob it added if no version uses it, so races leave no garbage.
          if (addedBlob && e instanceof VersionExistsError && !(await ctx.blobReferenced(digest))) {
            await unlinkQuietly(blob);
            await ctx.cache.forget(blob);
          }
          throw e;
        }
        return true;
      });
      if (linked) break;
      if (attempt >= 3) throw new RepositoryError(`blob ${digest} kept vanishing while publishing ${name}:${version} (concurrent deletes); publish again`);
    }
    await syncDir(dir);
  } finally {
    await unlinkQuietly(tmp);
  }
  return { name, version, manifestDigest: manifestDigest(manifest), manifest };
}

/** Make sure blobs/sha256/<hex> holds the disk; true when this call put it there. */
async function placeBlob(ctx: PublishContext, digest: string, diskFile: string, opts: PushOptions): Promise<boolean> {
  const blob = ctx.layout.blob(digest);
  if (await ctx.blobIsGood(blob, digest, opts)) return false;
  const tmp = tempPath(ctx.layout.blobsDir);
  try {
    const got = await copyAndHash(diskFile, tmp, opts.onProgress);
    if (got !== digest) {
      throw new DigestMismatchError(`${diskFile} has digest ${got} but the manifest's disk.digest is ${digest}; rebuild the manifest from this file`);
    }
    await chmod(tmp, 0o440); // image data: root (and the group an operator gives it) only
    const gid = blobGroupId();
    if (gid !== undefined) await chown(tmp, -1, gid);
    await pausePoint("publish:blob-copied");
    await rename(tmp, blob); // replaces only a missing or corrupt copy of the same content
    await syncDir(ctx.layout.blobsDir);
  } finally {
    await unlinkQuietly(tmp);
  }
  await ctx.cache.remember(blob, digest);
  return true;
}

async function linkWithoutOverwrite(tmp: string, final: string, name: string, version: string): Promise<void> {
  if (!(await placeWithoutOverwrite(tmp, final, 0o444))) throw versionExists(name, version);
}

/**
 * Put `tmp`'s content at `final` unless `final` exists (false then): a hard link, so readers never
 * see it half written. Some SMB mounts refuse hard links: there, an exclusive create of the same
 * content. Under the repository lock that is still first-wins; a reader racing it may briefly see a
 * short file and fail.
 */
export async function placeWithoutOverwrite(tmp: string, final: string, mode?: number): Promise<boolean> {
  try {
    await link(tmp, final);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw e;
  }
  try {
    await writeDurable(final, await readFile(tmp, "utf8"), mode);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
}
