// The cache's index: size and last-used time of each blob, for LRU eviction. Written by
// rename under a lock; a lost or damaged index is rebuilt from the blobs on disk.
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../../util/durable-write.js";
import { makeDir, PRIVATE_DIR } from "../../util/paths.js";
import { withFileLock } from "../../util/file-lock.js";

export interface CacheEntry {
  sizeBytes: number;
  /** ms since the epoch of the last pull that returned this blob. */
  lastUsedMs: number;
}

export type CacheEntries = Record<string, CacheEntry>;

export class CacheIndex {
  readonly file: string;

  constructor(
    readonly dir: string,
    private readonly blobsDir: string,
  ) {
    this.file = path.join(dir, "index.json");
  }

  async read(): Promise<CacheEntries> {
    try {
      const parsed = JSON.parse(await readFile(this.file, "utf8")) as { blobs?: CacheEntries };
      return parsed.blobs ?? {};
    } catch {
      return this.rebuild();
    }
  }

  /** Change the entries under the index lock; `fn` edits them in place. */
  async update<T>(fn: (entries: CacheEntries) => Promise<T> | T): Promise<T> {
    await makeDir(this.dir, PRIVATE_DIR);
    return withFileLock(this.file, async () => {
      const entries = await this.read();
      const result = await fn(entries);
      await writeFileAtomic(this.file, JSON.stringify({ format: 1, blobs: entries }), 0o644);
      return result;
    });
  }

  /** Entries for the blobs on disk, all as if last used at their mtime. */
  private async rebuild(): Promise<CacheEntries> {
    const entries: CacheEntries = {};
    const names = await readdir(this.blobsDir).catch(() => [] as string[]);
    for (const hex of names.filter((n) => /^[0-9a-f]{64}$/.test(n))) {
      const st = await stat(path.join(this.blobsDir, hex)).catch(() => undefined);
      if (st?.isFile()) entries[`sha256:${hex}`] = { sizeBytes: st.size, lastUsedMs: st.mtimeMs };
    }
    return entries;
  }
}
