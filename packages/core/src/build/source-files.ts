// The sources a manifest records: each dump file by its basename and sha256, never the builder's
// path (which names the builder's machine and user, and says nothing about the bytes).
import { stat } from "node:fs/promises";
import path from "node:path";
import type { SourceSpec } from "../engine/types.js";
import { sha256File } from "../image/index.js";
import { progressOnDemand, type Reporter } from "../reporter.js";

export interface SourceFile {
  name: string;
  digest: string;
}

/** Regular dump files of `sources`, hashed; directories (directory-format dumps, data dirs) are named only. */
export async function sourceFileDigests(sources: SourceSpec[], reporter: Reporter): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  for (const source of sources) {
    if (source.kind !== "dump") continue;
    const info = await stat(source.path).catch(() => undefined);
    if (!info?.isFile()) continue;
    const name = path.basename(source.path);
    const hashing = progressOnDemand(reporter, `Hashing ${name}`, info.size, { unit: "bytes" });
    files.push({ name, digest: await sha256File(source.path, hashing.onProgress) });
    hashing.finish();
  }
  return files;
}
