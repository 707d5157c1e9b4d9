// How big a PostgreSQL build's staging disk is: thin disks cost only what is written, so be generous.
import fs from "node:fs/promises";
import path from "node:path";
import type { SourceSpec } from "../types.js";

const GiB = 1024 ** 3;

/** The caller's size when given; else 8 GiB or 4x the sources on disk, whichever is larger. */
export async function stagingSize(sources: SourceSpec[], requested?: number): Promise<number> {
  if (requested) return requested;
  let bytes = 0;
  for (const s of sources) if ("path" in s && s.path) bytes += await sizeOnDisk(s.path);
  return Math.max(8 * GiB, Math.ceil((bytes * 4) / GiB) * GiB);
}

async function sizeOnDisk(p: string): Promise<number> {
  const st = await fs.stat(p).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const entry of await fs.readdir(p, { withFileTypes: true })) total += await sizeOnDisk(path.join(p, entry.name));
  return total;
}
