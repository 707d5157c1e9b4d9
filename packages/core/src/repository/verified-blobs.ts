// Remembers which blobs were hashed and found good, keyed by a stat stamp, so pulling a
// 50 GB blob for every clone does not re-read it. The stamp is (dev, ino, size, mtime ns,
// ctime ns): any write to the file changes mtime and ctime, and ctime cannot be set back from
// user space, while a replaced file has a new inode. When the stamp differs we hash again.
// The cache is a local per-user file; losing an entry (two writers racing) only costs a re-hash.
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { makeDir, PRIVATE_DIR } from "../util/paths.js";
import { randomBytes } from "node:crypto";

interface Stamp {
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
  digest: string;
}

export class VerifiedBlobCache {
  readonly file: string;

  constructor(cacheDir: string) {
    this.file = path.join(cacheDir, "verified-blobs.json");
  }

  /** True when `blob` was verified to hold `digest` and has not changed since. */
  async isVerified(blob: string, digest: string): Promise<boolean> {
    const entries = await this.load();
    const known = entries[path.resolve(blob)];
    if (!known || known.digest !== digest) return false;
    const now = await stampOf(blob, digest).catch(() => undefined);
    return now !== undefined && sameStamp(known, now);
  }

  async remember(blob: string, digest: string): Promise<void> {
    const stamp = await stampOf(blob, digest);
    const entries = await this.load();
    entries[path.resolve(blob)] = stamp;
    await makeDir(path.dirname(this.file), PRIVATE_DIR);
    const tmp = `${this.file}.${process.pid}-${randomBytes(4).toString("hex")}`;
    await writeFile(tmp, JSON.stringify(entries), { mode: 0o600 });
    await rename(tmp, this.file);
  }

  async forget(blob: string): Promise<void> {
    const entries = await this.load();
    if (!(path.resolve(blob) in entries)) return;
    delete entries[path.resolve(blob)];
    const tmp = `${this.file}.${process.pid}-${randomBytes(4).toString("hex")}`;
    await writeFile(tmp, JSON.stringify(entries), { mode: 0o600 });
    await rename(tmp, this.file);
  }

  private async load(): Promise<Record<string, Stamp>> {
    try {
      return JSON.parse(await readFile(this.file, "utf8")) as Record<string, Stamp>;
    } catch {
      return {}; // missing or damaged cache: verify from scratch
    }
  }
}

async function stampOf(blob: string, digest: string): Promise<Stamp> {
  const st = await stat(blob, { bigint: true });
  return {
    dev: String(st.dev),
    ino: String(st.ino),
    size: String(st.size),
    mtimeNs: String(st.mtimeNs),
    ctimeNs: String(st.ctimeNs),
    digest,
  };
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.digest === b.digest;
}
