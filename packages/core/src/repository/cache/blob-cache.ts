// A content-addressed local cache of disk blobs (`<dir>/blobs/sha256/<hex>`), shared by the
// concurrent jobs of one runner. One lock per blob means one download per blob: a second job
// waits, then finds the blob there. Size-limited with LRU eviction that never removes a blob a
// live clone uses (its qcow2 children read it) nor one used in the last few minutes. Which blobs
// live clones use is the caller's to say (`inUse`, from the clone registry of the --home in use):
// the cache cannot know which home's clones read it.
import { chmod, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { withFileLock } from "../../util/file-lock.js";
import { DigestMismatchError, UsageError } from "../../errors.js";
import { sha256File } from "../../image/digest.js";
import { silentReporter, type Reporter } from "../../reporter.js";
import { makeDir, PRIVATE_DIR } from "../../util/paths.js";
import { removeStaleTemps } from "../durable-files.js";
import { syncDir, tempPath, unlinkQuietly } from "../../util/durable-write.js";
import type { StampedDigestCache } from "../../util/stamped-digests.js";
import { verifiedBlobCache } from "../verified-blobs.js";
import { CacheIndex } from "./cache-index.js";

export interface BlobCacheOptions {
  /** Evict least-recently-used blobs beyond this many bytes (default: no limit). */
  maxBytes?: number;
  /** Disk digests live clones use: never evicted. Required with maxBytes. */
  inUse?: () => Promise<ReadonlySet<string>>;
  /** Blobs used more recently than this are never evicted (default 15 min): a job may be about to clone it. */
  graceMs?: number;
  /** How long to wait for another job's download of the same blob (default 6 h). */
  lockWaitMs?: number;
  reporter?: Reporter;
}

/** What a producer gets: a fresh temp file to fill, and a directory for resumable partial downloads. */
export interface BlobTarget {
  tempFile: string;
  partialDir: string;
  /** Aborts when the blob's lock is lost: stop writing (the temp file is removed). */
  signal: AbortSignal;
}

export class BlobCache {
  readonly blobsDir: string;
  readonly partialDir: string;
  readonly index: CacheIndex;
  private readonly verified: StampedDigestCache;
  private readonly reporter: Reporter;

  constructor(
    readonly dir: string,
    private readonly opts: BlobCacheOptions = {},
  ) {
    this.blobsDir = path.join(dir, "blobs", "sha256");
    this.partialDir = path.join(dir, "partial");
    this.index = new CacheIndex(dir, this.blobsDir);
    this.verified = verifiedBlobCache(dir);
    this.reporter = opts.reporter ?? silentReporter;
    if (opts.maxBytes !== undefined && !opts.inUse) {
      throw new UsageError("a size-limited image cache needs inUse(): the disk digests live clones use, which it must never evict");
    }
  }

  blobPath(digest: string): string {
    return path.join(this.blobsDir, digest.replace(/^sha256:/, ""));
  }

  /** The cached blob's path when it is present and still hashes to `digest`. */
  async lookup(digest: string): Promise<string | undefined> {
    const file = this.blobPath(digest);
    if (!(await stat(file).catch(() => undefined))) return undefined;
    if (await this.verified.isVerified(file, digest)) return file;
    if ((await sha256File(file)) === digest) {
      await this.verified.remember(file, digest);
      return file;
    }
    this.reporter.warn(`cached blob ${file} no longer hashes to ${digest}: removing it and downloading again`);
    await this.verified.forget(file);
    await unlinkQuietly(file);
    return undefined;
  }

  /**
   * The blob for `digest`: from the cache, or made by `produce` (which must write exactly that
   * content to target.tempFile and verify it). Holds the blob's lock throughout, so concurrent
   * callers in any process wait for one download instead of starting their own.
   */
  async obtain(digest: string, produce: (target: BlobTarget) => Promise<void>): Promise<{ path: string; downloaded: boolean }> {
    const file = this.blobPath(digest);
    // The cache holds pulled image data: dirs 0700, blobs 0440, root's alone.
    await makeDir(this.dir, PRIVATE_DIR);
    await makeDir(path.dirname(this.blobsDir), PRIVATE_DIR);
    await makeDir(this.blobsDir, PRIVATE_DIR);
    await makeDir(this.partialDir, PRIVATE_DIR);
    const result = await withFileLock(
      file,
      async (signal) => {
        const hit = await this.lookup(digest);
        if (hit) return { path: hit, downloaded: false };
        await removeStaleTemps(this.blobsDir, 60 * 60_000);
        const tempFile = tempPath(this.blobsDir);
        try {
          await produce({ tempFile, partialDir: this.partialDir, signal });
          if ((await stat(tempFile)).size === 0 && digest !== EMPTY_DIGEST) {
            throw new DigestMismatchError(`download of ${digest} produced no bytes; pull again`);
          }
          await chmod(tempFile, 0o440);
          await rename(tempFile, file);
          await syncDir(this.blobsDir);
        } finally {
          await unlinkQuietly(tempFile);
        }
        await this.verified.remember(file, digest);
        return { path: file, downloaded: true };
      },
      { waitMs: this.opts.lockWaitMs ?? 6 * 3600_000 },
    );
    const size = (await stat(result.path)).size;
    await this.index.update((entries) => {
      entries[digest] = { sizeBytes: size, lastUsedMs: Date.now() };
    });
    if (result.downloaded) await this.evict(digest);
    return result;
  }

  /** Bytes held by cached blobs (per the index). */
  async usage(): Promise<number> {
    return Object.values(await this.index.read()).reduce((a, e) => a + e.sizeBytes, 0);
  }

  /** Remove least-recently-used blobs until under maxBytes; returns the digests removed. */
  async evict(keep?: string): Promise<string[]> {
    const max = this.opts.maxBytes;
    if (max === undefined) return [];
    const protectedSet = new Set([...(await this.opts.inUse!()), ...(keep ? [keep] : [])]);
    const graceMs = this.opts.graceMs ?? 15 * 60_000;
    return this.index.update(async (entries) => {
      for (const [d] of Object.entries(entries)) if (!(await stat(this.blobPath(d)).catch(() => undefined))) delete entries[d];
      let total = Object.values(entries).reduce((a, e) => a + e.sizeBytes, 0);
      const removed: string[] = [];
      const candidates = Object.entries(entries)
        .filter(([d, e]) => !protectedSet.has(d) && Date.now() - e.lastUsedMs >= graceMs)
        .sort((a, b) => a[1].lastUsedMs - b[1].lastUsedMs);
      for (const [d, e] of candidates) {
        if (total <= max) break;
        // Take the blob's own lock briefly: a blob being (re)downloaded is skipped, not deleted.
        const gone = await withFileLock(
          this.blobPath(d),
          async () => {
            await this.verified.forget(this.blobPath(d));
            await unlink(this.blobPath(d)).catch(() => undefined);
            return true;
          },
          { waitMs: 200 },
        ).catch(() => false);
        if (!gone) continue;
        delete entries[d];
        total -= e.sizeBytes;
        removed.push(d);
        this.reporter.debug(`image cache: evicted ${d} (${e.sizeBytes} bytes, last used ${new Date(e.lastUsedMs).toISOString()})`);
      }
      if (total > max)
        this.reporter.warn(`image cache ${this.dir} holds ${total} bytes, over its ${max} byte limit: the rest is in use by live clones or recent pulls`);
      return removed;
    });
  }
}

const EMPTY_DIGEST = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
