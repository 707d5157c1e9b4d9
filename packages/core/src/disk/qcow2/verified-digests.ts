// Hashing a multi-GB base for every clone is too slow, so a base's digest is cached against a
// stamp of its inode (path, size, mtime, ctime, inode number): any write, truncate, chmod or
// replacement changes the stamp and forces a re-hash. Lives in <stateDir>/verified-digests.json.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { makeDir, PRIVATE_DIR } from "../../util/paths.js";

/** sha256:<hex> of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

interface Stamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
  digest: string;
}

const stampOf = async (file: string): Promise<Omit<Stamp, "digest">> => {
  const s = await stat(file);
  return { size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino, dev: s.dev };
};

const sameStamp = (a: Omit<Stamp, "digest">, b: Omit<Stamp, "digest">): boolean =>
  a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino && a.dev === b.dev;

export class VerifiedDigestCache {
  private readonly file: string;
  constructor(stateDir: string) {
    this.file = path.join(stateDir, "verified-digests.json");
  }

  private async load(): Promise<Record<string, Stamp>> {
    try {
      return JSON.parse(await readFile(this.file, "utf8")) as Record<string, Stamp>;
    } catch {
      return {}; // Missing or corrupt: the cost is one re-hash, never a wrong answer.
    }
  }

  /** The file's digest: from the cache when its stamp is unchanged, else hashed (and cached). */
  async digestOf(file: string): Promise<{ digest: string; cached: boolean }> {
    const key = path.resolve(file);
    const before = await stampOf(key);
    const hit = (await this.load())[key];
    if (hit && sameStamp(hit, before)) return { digest: hit.digest, cached: true };
    const digest = await sha256File(key);
    // Only trust the hash if the file did not change while we read it.
    if (sameStamp(before, await stampOf(key))) await this.remember(key, digest, before);
    return { digest, cached: false };
  }

  /** Record a digest just computed elsewhere (e.g. at seal time) for the file as it is now. */
  async remember(file: string, digest: string, stamp?: Omit<Stamp, "digest">): Promise<void> {
    const key = path.resolve(file);
    const entries = await this.load();
    entries[key] = { ...(stamp ?? (await stampOf(key))), digest };
    await makeDir(path.dirname(this.file), PRIVATE_DIR);
    // Write-then-rename: concurrent clones may race, but a reader never sees half a file.
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(tmp, JSON.stringify(entries, null, 1), { mode: 0o600 });
    await rename(tmp, this.file);
  }
}
