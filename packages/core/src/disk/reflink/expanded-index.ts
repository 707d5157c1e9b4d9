// What the pool holds: expanded image versions (key → layer digests, bytes, last use), for reuse
// and LRU eviction. An image a clone was copied from is never evicted while that clone lives
// (its <clone>.json names the key), nor while its own expansion lock is held.
import { lstat, readFile, readdir, rm, stat, utimes } from "node:fs/promises";
import path from "node:path";
import { withFileLock } from "../../util/file-lock.js";
import type { Reporter } from "../../reporter.js";
import { writeFileAtomic } from "../../util/durable-write.js";
import { imageFile, type PoolLayout } from "./pool-layout.js";

export interface ExpandedImage {
  /** Layer digests, nearest first (one for a single-layer version). */
  layers: string[];
  bytes: number;
  lastUsedMs: number;
  /** The image file as expansion left it (whole ms, size): a later write changes them. */
  mtimeMs?: number;
  size?: number;
}

/** Keys are hex digests: anything else in the index (a path, `..`) is not the pool's and is ignored. */
const KEY = /^[0-9a-f]{64}$/;

/** What a pool clone file's <name>.json records. */
export interface PoolCloneOwner {
  ownerDir: string;
  key: string;
}

export class ExpandedIndex {
  private readonly file: string;

  constructor(private readonly layout: PoolLayout) {
    this.file = path.join(layout.imagesDir, "index.json");
  }

  async read(): Promise<Record<string, ExpandedImage>> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(this.file, "utf8"));
    } catch {
      return {};
    }
    const entries: Record<string, ExpandedImage> = {};
    if (typeof parsed !== "object" || parsed === null) return entries;
    for (const [key, e] of Object.entries(parsed as Record<string, Partial<ExpandedImage>>)) {
      if (KEY.test(key) && typeof e === "object" && e !== null && typeof e.lastUsedMs === "number") entries[key] = e as ExpandedImage;
    }
    return entries;
  }

  async update<T>(fn: (entries: Record<string, ExpandedImage>) => T | Promise<T>): Promise<T> {
    return withFileLock(this.file, async () => {
      const entries = await this.read();
      const result = await fn(entries);
      await writeFileAtomic(this.file, `${JSON.stringify(entries, null, 1)}\n`, 0o600);
      return result;
    });
  }

  async touch(key: string, entry?: Omit<ExpandedImage, "lastUsedMs">): Promise<void> {
    await this.update((entries) => {
      const known = entry ?? entries[key];
      if (known) entries[key] = { ...known, lastUsedMs: Date.now() };
    });
  }

  /**
   * Record a use of an expanded image, when it is there, as its access time: no lock and no index
   * write on a clone's path. Eviction orders by the later of this and the index's time.
   */
  async markUsed(file: string): Promise<boolean> {
    if ((await this.untrusted(file)) !== undefined) return false;
    const s = await stat(file);
    // Seconds as a number keep the mtime to well under a ms; untrusted() allows 2 ms.
    await utimes(file, new Date(), s.mtimeMs / 1000).catch(() => undefined);
    return true;
  }

  /**
   * Why the expanded image `file` may not be cloned from as it is (undefined: it may): missing, not
   * a plain read-only file of ours, or changed since its expansion (a hand mount replays its log,
   * a write as root ignores 0444). Cheap (lstat and the small index): a clone's copy is never re-hashed.
   */
  async untrusted(file: string): Promise<string | undefined> {
    const s = await lstat(file).catch(() => undefined);
    if (!s) return "missing";
    if (!s.isFile()) return "not a regular file";
    if (s.mode & 0o222) return `writable (mode ${(s.mode & 0o777).toString(8)})`;
    const uid = process.getuid?.();
    if (uid !== undefined && s.uid !== uid) return `owned by uid ${s.uid}, not ${uid}`;
    const recorded = (await this.read())[path.basename(file, ".raw")];
    if (recorded?.mtimeMs === undefined || recorded.size === undefined) return "not recorded as expanded in the pool's index";
    // Within 2 ms: utimes() above writes the mtime back through a float (sub-µs rounding); a write moves it to now.
    if (Math.abs(s.mtimeMs - recorded.mtimeMs) >= 2 || s.size !== recorded.size) return "modified since it was expanded";
    return undefined;
  }

  /** Keys of images live clones were copied from. */
  async inUse(): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const name of await readdir(this.layout.clonesDir).catch(() => [] as string[])) {
      if (!name.endsWith(".json")) continue;
      const owner = await readOwner(path.join(this.layout.clonesDir, name));
      if (owner) keys.add(owner.key);
    }
    return keys;
  }

  /** Images no live clone uses, least recently used first; `idleMs`: only those unused for that long. */
  async evictionOrder(keep: Set<string>, idleMs = 0): Promise<string[]> {
    const used = await this.inUse();
    const candidates: { key: string; lastUsedMs: number }[] = [];
    for (const [key, e] of Object.entries(await this.read())) {
      if (keep.has(key) || used.has(key)) continue;
      const s = await stat(imageFile(this.layout, key)).catch(() => undefined);
      const lastUsedMs = Math.max(e.lastUsedMs, s?.atimeMs ?? 0);
      if (Date.now() - lastUsedMs >= idleMs) candidates.push({ key, lastUsedMs });
    }
    return candidates.sort((a, b) => a.lastUsedMs - b.lastUsedMs).map((c) => c.key);
  }

  /** True when the image was deleted; false when a clone uses it or it is being expanded or copied. */
  async evict(key: string, reporter: Reporter): Promise<boolean> {
    if (!KEY.test(key)) return false;
    const file = imageFile(this.layout, key);
    // The image's own lock: one being expanded or copied right now is skipped, not deleted. In use
    // is asked again under it: a clone's owner record written since evictionOrder() keeps the image.
    const gone = await withFileLock(
      file,
      async () => {
        if ((await this.inUse()).has(key)) return false;
        await rm(file, { force: true });
        return true;
      },
      { waitMs: 200 },
    ).catch(() => false);
    if (!gone) return false;
    await this.update((entries) => {
      delete entries[key];
    });
    reporter.info(`reflink pool: evicted the expanded image ${key.slice(0, 12)} (unused)`);
    return true;
  }
}

export async function readOwner(file: string): Promise<PoolCloneOwner | undefined> {
  try {
    const o = JSON.parse(await readFile(file, "utf8")) as Partial<PoolCloneOwner>;
    // The key names a file in the pool (promote diffs the clone against it): only a digest, never a path.
    return typeof o.ownerDir === "string" && typeof o.key === "string" && KEY.test(o.key) ? { ownerDir: o.ownerDir, key: o.key } : undefined;
  } catch {
    return undefined;
  }
}
