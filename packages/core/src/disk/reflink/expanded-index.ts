// What the pool holds: expanded image versions (key → layer digests, bytes, last use), for reuse
// and LRU eviction. An image a clone was copied from is never evicted while that clone lives
// (its <clone>.json names the key), nor while its own expansion lock is held.
import { readFile, readdir, rm, stat, utimes } from "node:fs/promises";
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
}

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
    try {
      return JSON.parse(await readFile(this.file, "utf8")) as Record<string, ExpandedImage>;
    } catch {
      return {};
    }
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
    const s = await stat(file).catch(() => undefined);
    if (!s) return false;
    await utimes(file, new Date(), s.mtime).catch(() => undefined);
    return true;
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

  /** Evictable images, least recently used first. */
  async evictionOrder(keep: Set<string>): Promise<string[]> {
    const used = await this.inUse();
    const candidates: { key: string; lastUsedMs: number }[] = [];
    for (const [key, e] of Object.entries(await this.read())) {
      if (keep.has(key) || used.has(key)) continue;
      const s = await stat(imageFile(this.layout, key)).catch(() => undefined);
      candidates.push({ key, lastUsedMs: Math.max(e.lastUsedMs, s?.atimeMs ?? 0) });
    }
    return candidates.sort((a, b) => a.lastUsedMs - b.lastUsedMs).map((c) => c.key);
  }

  async evict(key: string, reporter: Reporter): Promise<void> {
    const file = imageFile(this.layout, key);
    // The image's own lock: one being expanded or copied right now is skipped, not deleted.
    const gone = await withFileLock(
      file,
      async () => {
        await rm(file, { force: true });
        return true;
      },
      { waitMs: 200 },
    ).catch(() => false);
    if (!gone) return;
    await this.update((entries) => {
      delete entries[key];
    });
    reporter.info(`reflink pool: evicted the expanded image ${key.slice(0, 12)} (unused)`);
  }
}

export async function readOwner(file: string): Promise<PoolCloneOwner | undefined> {
  try {
    const o = JSON.parse(await readFile(file, "utf8")) as Partial<PoolCloneOwner>;
    return typeof o.ownerDir === "string" && typeof o.key === "string" ? { ownerDir: o.ownerDir, key: o.key } : undefined;
  } catch {
    return undefined;
  }
}
