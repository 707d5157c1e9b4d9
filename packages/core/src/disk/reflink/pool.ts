// The reflink pool: a filesystem where a copy of a multi-GB image is a metadata operation. The
// host's own filesystem under DBCLONE_HOME when it has reflinks (XFS with reflink, btrfs), else a
// sparse XFS pool file dbclone makes, mounts and grows itself. Room is made for an expansion, and
// for what a new clone may write, by growing the pool (default; by evicting unused images when the
// host has no room to grow it) or, at a fixed size (DBCLONE_POOL_SIZE), by evicting unused images;
// when neither is enough the error names the pool, its free space and what was needed, and nothing
// is made. gc evicts images unused for DBCLONE_POOL_KEEP_DAYS.
import { constants } from "node:fs";
import { copyFile, lstat, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { exists } from "../../util/exists.js";
import { withFileLock } from "../../util/file-lock.js";
import { CloneError, DiskFullError, UsageError } from "../../errors.js";
import { silentReporter, type Reporter } from "../../reporter.js";
import { isMountPoint, readMounts } from "../qcow2/mounts.js";
import { run } from "../../runtime/exec.js";
import { ExpandedIndex } from "./expanded-index.js";
import { MIN_POOL_BYTES, createPoolFile, freeBytes, growPoolFile, mb, mountPoolFile, removePoolFile } from "./pool-file.js";
import { poolLayout, refuseLinkedPoolDirs, type PoolLayout } from "./pool-layout.js";

const GiB = 1024 ** 3;
/** Kept free beyond an expansion's own bytes: clones write into the pool too. */
const HEADROOM_BYTES = 256 * 1024 * 1024;

/** `512M`, `4G`, `1.5T` or plain bytes. */
export function parsePoolSize(text: string, source = "DBCLONE_POOL_SIZE"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${source} must be a size such as 4G or 512M, got '${text}'`);
  const bytes = Math.floor(Number(m[1]) * 1024 ** " kmgt".indexOf((m[2] || " ").toLowerCase()));
  if (bytes < MIN_POOL_BYTES) throw new UsageError(`${source} must be at least ${mb(MIN_POOL_BYTES)} (the smallest XFS), got '${text}'`);
  return bytes;
}

/** How long gc keeps an expanded image no clone uses: DBCLONE_POOL_KEEP_DAYS (default 7; 0 evicts every unused one). */
export function poolKeepMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.DBCLONE_POOL_KEEP_DAYS;
  if (text === undefined || text === "") return 7 * 24 * 3600_000;
  if (!/^\d+(\.\d+)?$/.test(text.trim())) throw new UsageError(`DBCLONE_POOL_KEEP_DAYS must be a number of days such as 7 or 0.5, got '${text}'`);
  return Number(text) * 24 * 3600_000;
}

export interface ReflinkPoolOptions {
  /** A fixed pool-file size; default: sized to the images and grown as needed. */
  sizeBytes?: number;
  reporter?: Reporter;
}

export class ReflinkPool {
  readonly layout: PoolLayout;
  readonly index: ExpandedIndex;
  private readonly reporter: Reporter;
  private readonly sizeOption?: number;

  constructor(home: string, opts: ReflinkPoolOptions = {}) {
    this.layout = poolLayout(home);
    this.index = new ExpandedIndex(this.layout);
    this.reporter = opts.reporter ?? silentReporter;
    this.sizeOption = opts.sizeBytes;
  }

  /** Read when the pool is used, so a bad DBCLONE_POOL_SIZE never stops a teardown or gc. */
  private get fixedSize(): number | undefined {
    const env = process.env.DBCLONE_POOL_SIZE;
    return this.sizeOption ?? (env ? parsePoolSize(env) : undefined);
  }

  /** The pool is a mounted pool file (not the host's own filesystem). */
  async usesPoolFile(): Promise<boolean> {
    return exists(this.layout.poolFile);
  }

  /** Ready to take `needBytes` more: made or mounted the first time, then grown or evicted into. */
  async prepare(needBytes: number, keepKeys: Set<string>): Promise<void> {
    // The lock lives beside the pool file, so its directory must exist before the first lock.
    await mkdir(this.layout.home, { recursive: true });
    await withFileLock(
      this.layout.poolFile,
      async () => {
        await refusePlantedLinks(this.layout);
        if (!(await this.usesPoolFile()) && !(await isMountPoint(this.layout.dir)) && (await hostHasReflinks(this.layout.dir))) {
          await this.makeDirs();
          if (needBytes > 0) await this.requireFree(needBytes, keepKeys, false);
          return;
        }
        await refuseStaleMount(this.layout);
        if (!(await this.usesPoolFile())) {
          const size = this.fixedSize ?? Math.max(2 * GiB, 2 * (needBytes + HEADROOM_BYTES));
          await createPoolFile(this.layout, size, this.reporter);
        }
        await mountPoolFile(this.layout, this.reporter);
        await this.makeDirs();
        if (needBytes > 0) await this.requireFree(needBytes, keepKeys, this.fixedSize === undefined);
      },
      { waitMs: 10 * 60_000 },
    );
  }

  /**
   * Room for what a new clone of an image may write, before its copy is made: the copy itself
   * costs nothing (its blocks are the image's) but each block the clone writes is a new one.
   * `bytes`: the image's allocated bytes, what a clone rewriting all its data needs (the image's
   * virtual size, 8 GiB by default, would refuse every clone in a pool smaller than that). One
   * statfs when there is room; else a growable pool grows, a fixed one evicts unused images (never
   * `keepKeys` nor one a clone uses), and then a DiskFullError. On the host's own filesystem it only warns.
   */
  async reserveForClone(bytes: number, keepKeys: Set<string>): Promise<void> {
    const want = bytes + HEADROOM_BYTES;
    const free = await freeBytes(this.layout.dir);
    if (free >= want) return;
    if (!(await this.usesPoolFile())) {
      this.reporter.warn(
        `The reflink pool ${this.layout.dir} (the host's filesystem) has ${mb(free)} free; a clone of this image may write about ${mb(want)}. ` +
          `Free space there, or tear down clones you no longer need (dbclone teardown).`,
      );
      return;
    }
    await withFileLock(
      this.layout.poolFile,
      async () => {
        await refusePlantedLinks(this.layout);
        await this.requireFree(bytes, keepKeys, this.fixedSize === undefined, "a clone of the image may write about");
      },
      { waitMs: 10 * 60_000 },
    );
  }

  /**
   * gc: evict expanded images no clone has used for `idleMs` (never one a live clone was copied
   * from, nor one being expanded or copied), then give their blocks back to the host (fstrim: a
   * pool file's freed blocks become holes through the loop device's discard). Keys evicted.
   */
  async evictIdle(idleMs: number): Promise<string[]> {
    if (!(await this.isMounted())) return [];
    const evicted: string[] = [];
    const freeBefore = await freeBytes(this.layout.dir);
    for (const key of await this.index.evictionOrder(new Set(), idleMs)) {
      if (await this.index.evict(key, this.reporter)) evicted.push(key);
    }
    if (evicted.length > 0 && (await this.usesPoolFile())) {
      // Only blocks XFS has freed are discarded, and it frees an unlinked file's in the background.
      await freedSpace(this.layout.dir, freeBefore, this.reporter);
      const r = await run("fstrim", [this.layout.dir], { privileged: true, allowFailure: true, reporter: this.reporter, packageHint: "util-linux" });
      if (r.code !== 0) this.reporter.warn(`fstrim ${this.layout.dir} failed (${r.stderr.trim()}); the pool file keeps the evicted images' space.`);
    }
    return evicted;
  }

  /** The pool is there to use: its own directory on the host's filesystem, or its pool file mounted. */
  private async isMounted(): Promise<boolean> {
    return (await this.usesPoolFile()) ? isMountPoint(this.layout.dir) : exists(this.layout.imagesDir);
  }

  /** Unmount and delete the whole pool, under the lock its growth takes; refused while a clone uses it. False: there was none. */
  async remove(): Promise<boolean> {
    if (!(await exists(this.layout.dir, { noFollow: true })) && !(await exists(this.layout.poolFile, { noFollow: true }))) return false;
    await refuseLinkedPoolDirs(this.layout);
    await withFileLock(
      this.layout.poolFile,
      async () => {
        const used = await this.index.inUse();
        if (used.size > 0)
          throw new CloneError(
            `the reflink pool ${this.layout.dir} still holds clones of ${used.size} image(s); tear them down first (dbclone clones lists them)`,
          );
        await removePoolFile(this.layout, this.reporter);
      },
      { waitMs: 60_000 },
    );
    return true;
  }

  private async makeDirs(): Promise<void> {
    await mkdir(this.layout.imagesDir, { recursive: true, mode: 0o700 });
    await mkdir(this.layout.clonesDir, { recursive: true, mode: 0o700 });
  }

  private async requireFree(needBytes: number, keepKeys: Set<string>, canGrow: boolean, purpose = "expanding the image needs about"): Promise<void> {
    const want = needBytes + HEADROOM_BYTES;
    let free = await freeBytes(this.layout.dir);
    if (free >= want) return;
    let growth: unknown;
    if (canGrow) {
      const size = (await stat(this.layout.poolFile)).size;
      // Where the host has no room to grow it, unused images make the room instead.
      growth = await growPoolFile(this.layout, size + Math.max(want - free, size / 2), this.reporter).catch((e: unknown) => e);
      // The generous step may not fit on the host where the bytes needed still do.
      if (growth instanceof DiskFullError && want - free < size / 2)
        growth = await growPoolFile(this.layout, size + (want - free), this.reporter).catch((e: unknown) => e);
      if (growth === undefined) return;
      if (!(growth instanceof DiskFullError)) throw growth;
    }
    for (const key of await this.index.evictionOrder(keepKeys)) {
      if (!(await this.index.evict(key, this.reporter))) continue;
      free = await freedSpace(this.layout.dir, free, this.reporter);
      if (free >= want) return;
    }
    if (growth) throw growth;
    const what = (await this.usesPoolFile())
      ? `the pool file ${this.layout.poolFile} (fixed at ${mb(this.fixedSize ?? 0)} by DBCLONE_POOL_SIZE)`
      : `the host filesystem at ${this.layout.dir}`;
    throw new DiskFullError(
      `The reflink pool ${this.layout.dir} is full: ${mb(free)} free, ${purpose} ${mb(want)}; nothing was made. ` +
        `Images in use by clones are never evicted. Tear down clones you no longer need (dbclone teardown), let dbclone gc ` +
        `evict unused images, raise DBCLONE_POOL_SIZE, or clone with --disk qcow2. (Pool: ${what}.)`,
    );
  }
}

/**
 * Free bytes after an eviction. XFS frees an unlinked file's blocks in the background (inode
 * inactivation): read at once, statfs still shows none of them free (seen on 6.18), which would
 * evict every other unused image too and then report the pool full. A syncfs flushes most of it;
 * then wait, briefly, for the count to move.
 */
async function freedSpace(dir: string, before: number, reporter: Reporter): Promise<number> {
  await run("sync", ["-f", dir], { reporter, allowFailure: true, timeoutMs: 60_000, packageHint: "coreutils" });
  let free = await freeBytes(dir);
  for (let waited = 0; free <= before && waited < 3000; waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
    free = await freeBytes(dir);
  }
  return free;
}

/** Reflinks work where `dir` lives: one tiny FICLONE copy, no process spawned. */
export async function hostHasReflinks(dir: string): Promise<boolean> {
  await mkdir(dir, { recursive: true, mode: 0o711 });
  const probe = path.join(dir, `.reflink-probe-${process.pid}`);
  try {
    await writeFile(probe, "probe");
    await copyFile(probe, `${probe}.copy`, constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    return false;
  } finally {
    await rm(probe, { force: true });
    await rm(`${probe}.copy`, { force: true });
  }
}

/**
 * The pool directory and pool file are dbclone's own: a symbolic link there would have root mount
 * the pool over the link's target, or loop-mount a file someone else prepared (with images in it
 * that were never checked), so either is refused.
 */
async function refusePlantedLinks(layout: PoolLayout): Promise<void> {
  if ((await lstat(layout.poolFile).catch(() => undefined))?.isSymbolicLink())
    throw new UsageError(`${layout.poolFile} is a symbolic link; the reflink pool must be dbclone's own. Remove it (rm ${layout.poolFile}) and clone again.`);
  await refuseLinkedPoolDirs(layout);
}

/**
 * A mount at the pool directory must be the pool file's own loop: after the pool file was deleted
 * the old mount lives on over the deleted file, and using it would put new images on a pool
 * nothing can grow or find again.
 */
async function refuseStaleMount(layout: PoolLayout): Promise<void> {
  const mount = (await readMounts()).find((m) => m.mountPoint === layout.dir);
  if (!mount) return;
  const backing = mount.source.startsWith("/dev/loop")
    ? (await readFile(`/sys/block/${path.basename(mount.source)}/loop/backing_file`, "utf8").catch(() => "")).trim()
    : "";
  if (backing === layout.poolFile) return;
  const from = backing ? `${mount.source} on ${backing}` : mount.source;
  throw new CloneError(
    `The reflink pool ${layout.dir} is mounted from ${from}, not from its pool file ${layout.poolFile}` +
      `${backing.endsWith(" (deleted)") ? " (the pool file was deleted while mounted)" : ""}. ` +
      `Tear down its clones (dbclone teardown --all), unmount it (umount ${layout.dir}) and clone again.`,
  );
}
