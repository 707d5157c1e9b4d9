// Hashing a multi-GB blob for every pull or clone is too slow, so a file's digest is cached against
// a stamp of its inode: (dev, ino, size, mtime ns, ctime ns). Any write, truncate or chmod changes
// mtime or ctime (and ctime cannot be set back from user space); a replaced file has a new inode.
// When the stamp differs the file is hashed again. The cache is a local private JSON file; losing an
// entry (two writers racing, a damaged file) only costs a re-hash, never a wrong answer.
import { stat } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "./durable-write.js";
import { readOwnFile } from "./own-file.js";
import { makeDir, PRIVATE_DIR } from "./paths.js";

/** A file's identity and last change, as decimal strings (bigint stat: exact nanoseconds). */
export interface FileStamp {
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

interface Entry extends FileStamp {
  digest: string;
}

export async function stampOf(file: string): Promise<FileStamp> {
  const st = await stat(file, { bigint: true });
  return { dev: String(st.dev), ino: String(st.ino), size: String(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) };
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

export class StampedDigestCache {
  /** `file`: the cache's JSON file, e.g. `<cacheDir>/verified-blobs.json`. */
  constructor(readonly file: string) {}

  /** The digest recorded for `file`, when the file has not changed since; else undefined. */
  async known(file: string): Promise<string | undefined> {
    const key = path.resolve(file);
    const hit = (await this.load())[key];
    if (!hit) return undefined;
    const now = await stampOf(key).catch(() => undefined);
    return now !== undefined && sameStamp(hit, now) ? hit.digest : undefined;
  }

  /** True when `file` was found to hold `digest` and has not changed since. */
  async isVerified(file: string, digest: string): Promise<boolean> {
    return (await this.known(file)) === digest;
  }

  /**
   * The file's digest: from the cache when its stamp is unchanged, else from `hash` (and cached,
   * but only when the file did not change while it was read).
   */
  async digestOf(file: string, hash: (file: string) => Promise<string>): Promise<{ digest: string; cached: boolean }> {
    const key = path.resolve(file);
    const before = await stampOf(key);
    const hit = (await this.load())[key];
    if (hit && sameStamp(hit, before)) return { digest: hit.digest, cached: true };
    const digest = await hash(key);
    if (sameStamp(before, await stampOf(key))) await this.remember(key, digest, before);
    return { digest, cached: false };
  }

  /** Record `digest` for the file as it is now (or as it was at `stamp`, taken before hashing). */
  async remember(file: string, digest: string, stamp?: FileStamp): Promise<void> {
    const key = path.resolve(file);
    const entry: Entry = { ...(stamp ?? (await stampOf(key))), digest };
    const entries = await this.load();
    const had = entries[key];
    // Already recorded as it is (every clone of a cached base says so again): no write, no fsync.
    if (had && had.digest === digest && sameStamp(had, entry)) return;
    entries[key] = entry;
    await this.save(entries);
  }

  async forget(file: string): Promise<void> {
    const key = path.resolve(file);
    const entries = await this.load();
    if (!(key in entries)) return;
    delete entries[key];
    await this.save(entries);
  }

  private async save(entries: Record<string, Entry>): Promise<void> {
    await makeDir(path.dirname(this.file), PRIVATE_DIR);
    await writeFileAtomic(this.file, JSON.stringify(entries), 0o600);
  }

  private async load(): Promise<Record<string, Entry>> {
    try {
      const text = await readOwnFile(this.file); // a cache someone else wrote, or a link, counts as empty
      if (text === undefined) return {};
      const parsed = JSON.parse(text) as unknown;
      return parsed !== null && typeof parsed === "object" ? (parsed as Record<string, Entry>) : {};
    } catch {
      return {}; // missing or damaged cache: verify from scratch
    }
  }
}
