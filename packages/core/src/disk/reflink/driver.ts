// The reflink disk driver: clones without FUSE on the write path. The qcow2 blob stays the
// distribution format; each version is expanded once into a local pool as a raw XFS image, and a
// clone is a reflink copy of it, loop-mounted (docs/disk-drivers.md says why image-level).
import { stat } from "node:fs/promises";
import path from "node:path";
import { CloneError, DigestMismatchError, NotSupportedError } from "../../errors.js";
import { silentReporter, type Reporter } from "../../reporter.js";
import { run } from "../../runtime/exec.js";
import type { ChildDisk, DiskAttachment, DiskLayer, DiskResource, LayeredDiskDriver, PreparedBase, PreparedEntry, SealedDisk, StagingDisk } from "../types.js";
import { sha256File } from "../../image/digest.js";
import type { StampedDigestCache } from "../../util/stamped-digests.js";
import { baseDigestCache } from "../base-digests.js";
import { attachClone, detachClone, ownBytes, reflinkCopy, removeCloneFile } from "./clone.js";
import { expandImage, type VerifiedLayer } from "./expand.js";
import { listPoolLeftovers, releasePoolLeftover, sweepDeadExpansions } from "./leftovers.js";
import { poolKeepMs, ReflinkPool } from "./pool.js";
import { cloneFileFor, imageFile, linkedPoolDir, ownerFileOf, refuseLinkedPoolDirs } from "./pool-layout.js";
import { isWithin } from "../../util/within.js";
import { readOwner } from "./expanded-index.js";
import { checkReflinkPrerequisites } from "./prerequisites.js";
import { flattenClone, sealCloneAsLayer } from "./promote.js";

export interface ReflinkDriverOptions {
  /** DBCLONE_HOME: the pool lives in <home>/pool. */
  home: string;
  /** Where the verified-digest cache lives (shared with qcow2: <home>/state). */
  stateDir: string;
  /** A fixed pool-file size (default: DBCLONE_POOL_SIZE, else sized to the images and grown). */
  poolSizeBytes?: number;
  /**
   * The database's OS user, who walks an expanded image for links and owners (asked only when
   * an image is expanded; undefined: ourselves). Root only mounts it.
   */
  checkAs?: () => string | undefined;
  reporter?: Reporter;
}

export class ReflinkDriver implements LayeredDiskDriver {
  readonly name = "reflink";
  /** The blob format it clones from: published images stay qcow2. */
  readonly format = "qcow2";
  readonly pool: ReflinkPool;
  private readonly reporter: Reporter;
  private readonly digests: StampedDigestCache;
  private readonly checkAs: () => string | undefined;

  constructor(options: ReflinkDriverOptions) {
    this.reporter = options.reporter ?? silentReporter;
    this.pool = new ReflinkPool(options.home, { sizeBytes: options.poolSizeBytes, reporter: this.reporter });
    this.digests = baseDigestCache(options.stateDir);
    this.checkAs = options.checkAs ?? (() => undefined);
  }

  checkPrerequisites(): Promise<void> {
    return checkReflinkPrerequisites();
  }

  createStaging(): Promise<StagingDisk> {
    throw new NotSupportedError("the reflink disk driver only clones; images are built as qcow2 (the distribution format).");
  }

  seal(): Promise<SealedDisk> {
    throw new NotSupportedError("the reflink disk driver only clones; images are sealed as qcow2 (the distribution format).");
  }

  async rememberVerified(file: string, digest: string): Promise<void> {
    await this.digests.remember(file, digest);
  }

  createChild(parentFile: string, childFile: string, expectedDigest?: string): Promise<ChildDisk> {
    return this.createLayeredChild([{ file: parentFile, digest: expectedDigest }], childFile);
  }

  /** The version expanded once into the pool (its layers' digests checked first); reused after. */
  async prepare(layers: DiskLayer[]): Promise<PreparedBase> {
    if (layers.length === 0) throw new CloneError("a reflink clone needs at least one layer.");
    const verified: VerifiedLayer[] = [];
    for (const layer of layers) verified.push(await this.verifiedLayer(path.resolve(layer.file), layer.digest));
    return expandImage(this.pool, verified, this.reporter, this.checkAs());
  }

  async listPrepared(): Promise<PreparedEntry[]> {
    const used = await this.pool.index.inUse();
    return Object.entries(await this.pool.index.read()).map(([key, e]) => ({
      key,
      file: imageFile(this.pool.layout, key),
      bytes: e.bytes,
      lastUsedMs: e.lastUsedMs,
      inUse: used.has(key),
    }));
  }

  async evict(key: string, reason: string): Promise<void> {
    await refuseLinkedPoolDirs(this.pool.layout);
    if ((await this.pool.index.inUse()).has(key)) return;
    this.reporter.debug(`reflink pool: evicting ${key.slice(0, 12)} (${reason})`);
    await this.pool.index.evict(key, this.reporter);
  }

  /** A clone of a (possibly layered) version: expanded once per pool, then one reflink copy. */
  async createLayeredChild(layers: DiskLayer[], childFile: string): Promise<ChildDisk> {
    const cloneFile = cloneFileFor(this.pool.layout, childFile);
    const copy = async () => {
      const image = await this.prepare(layers);
      // Room for what the clone may write, before anything of it exists: a full pool refuses here, not mid-test.
      await this.pool.reserveForClone((await stat(image.file)).blocks * 512, new Set([image.key]));
      await reflinkCopy(image.file, cloneFile, { ownerDir: path.dirname(path.resolve(childFile)), key: image.key });
      return image;
    };
    // The fast path finds an expanded image without a lock, and an eviction may remove it before the
    // copy's owner record keeps it: then it is expanded again (under its lock) and copied once more.
    const image = await copy().catch(async (e: unknown) => {
      const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
      if (err.code !== "ENOENT" && err.cause?.code !== "ENOENT") throw e;
      this.reporter.debug("reflink pool: the expanded image went away before its copy (evicted); expanding it again");
      return copy();
    });
    return { file: cloneFile, parents: [image.file] };
  }

  /** The layer's digest, checked (cheaply, when a pull just verified it) before it is expanded. */
  private async verifiedLayer(file: string, expected?: string): Promise<VerifiedLayer> {
    const s = await stat(file);
    if (s.mode & 0o002) throw new CloneError(`Base disk ${file} is writable by everyone; refusing to clone it. Make it read-only: chmod 0444 ${file}`);
    const { digest } = await this.digests.digestOf(file, sha256File);
    if (expected && digest !== expected) {
      throw new DigestMismatchError(
        `Base disk ${file} has changed: its digest is ${digest}, the image says ${expected}. ` +
          `The base must never be modified; delete it from the local cache and pull the image again.`,
      );
    }
    return { file, digest };
  }

  mount(child: ChildDisk, mountPath: string): Promise<DiskAttachment> {
    return attachClone(this.name, child.file, mountPath, this.reporter);
  }

  /** Only a clone of this pool: the attachment comes from a clone record, which is a file on disk. */
  async unmount(attachment: DiskAttachment): Promise<void> {
    const { layout } = this.pool;
    const file = path.resolve(attachment.file);
    const ok = path.dirname(file) === layout.clonesDir && file.endsWith(".raw") && isWithin(attachment.mountPath, path.join(layout.home, "clones"));
    if (!ok)
      throw new CloneError(
        `The clone record's disk ${attachment.file} mounted at ${attachment.mountPath} is not a clone of the reflink pool ${layout.dir}; ` +
          `refusing to unmount or detach it. The record was changed by hand: check what is mounted there before removing it yourself.`,
      );
    await refuseLinkedPoolDirs(layout);
    return detachClone(attachment, this.reporter);
  }

  /** `file`: the pool clone file, or the clone's own child path (what its record holds). */
  async destroy(file: string): Promise<void> {
    await refuseLinkedPoolDirs(this.pool.layout);
    await removeCloneFile(cloneFileFor(this.pool.layout, file));
  }

  /** Promote: what the (unmounted) clone differs in from its parent layers, as a qcow2 layer. */
  async sealLayer(child: ChildDisk, outFile: string): Promise<SealedDisk> {
    const cloneFile = cloneFileFor(this.pool.layout, child.file);
    const owner = await readOwner(ownerFileOf(cloneFile));
    if (!owner) throw new CloneError(`${cloneFile} has no owner record naming the image it was copied from; cannot promote it as a layer (try --flatten).`);
    return sealCloneAsLayer(cloneFile, imageFile(this.pool.layout, owner.key), child.parents, outFile, this.reporter);
  }

  /** Promote --flatten: the whole (unmounted) clone as one single-layer qcow2. */
  flatten(child: ChildDisk, outFile: string): Promise<SealedDisk> {
    return flattenClone(cloneFileFor(this.pool.layout, child.file), outFile, this.reporter);
  }

  /** Freed blocks become holes in the clone's pool file (loop discard), so a flattened blob leaves them out. */
  async trim(mountPath: string): Promise<void> {
    const r = await run("fstrim", [mountPath], { privileged: true, allowFailure: true, reporter: this.reporter, packageHint: "util-linux" });
    if (r.code !== 0) this.reporter.warn(`fstrim ${mountPath} failed (${r.stderr.trim()}); the sealed blob may still hold freed blocks.`);
  }

  /** What the clone wrote: its extents not shared with the image. */
  ownBytes(file: string): Promise<number> {
    return ownBytes(cloneFileFor(this.pool.layout, file), this.reporter);
  }

  async list(rootDir: string): Promise<DiskResource[]> {
    if (await this.warnLinkedPoolDir()) return [];
    return listPoolLeftovers(this.pool.layout, rootDir);
  }

  /** gc's side: a planted link is said, and nothing of the pool is swept or released through it. */
  private async warnLinkedPoolDir(): Promise<boolean> {
    const dir = await linkedPoolDir(this.pool.layout);
    if (dir) this.reporter.warn(`${dir} is a symbolic link or not a directory; gc releases nothing of the reflink pool through it. Remove it (rm ${dir}).`);
    return dir !== undefined;
  }

  release(resource: DiskResource): Promise<void> {
    return releasePoolLeftover(resource, this.reporter);
  }

  /**
   * gc: leftovers of killed expansions (no clone owns them), then expanded images no clone used for
   * DBCLONE_POOL_KEEP_DAYS (a bad value is said and skips only this eviction).
   */
  async sweep(): Promise<string[]> {
    if (await this.warnLinkedPoolDir()) return [];
    const swept = await sweepDeadExpansions(this.pool.layout, this.reporter);
    let keepMs: number;
    try {
      keepMs = poolKeepMs();
    } catch (e) {
      this.reporter.warn(`${(e as Error).message}; no expanded image was evicted.`);
      return swept;
    }
    const evicted = await this.pool.evictIdle(keepMs);
    return [...swept, ...evicted.map((key) => `expanded image ${key.slice(0, 12)} (unused for ${Math.round(keepMs / 3600_000)} h)`)];
  }

  /** Unmount and delete the whole pool (`dbclone gc --remove-pool`, tests, benches): refused while a clone uses it. */
  removePool(): Promise<boolean> {
    return this.pool.remove();
  }
}
