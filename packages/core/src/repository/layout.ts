// Where things live in a directory (or SMB share) repository, and its config file.
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { RepositoryError } from "../errors.js";
import { parseWholeSeconds } from "../util/duration.js";
import { TEMP_PREFIX } from "../util/durable-write.js";

/** Bumped when the on-disk layout changes incompatibly. */
export const REPOSITORY_FORMAT = 1;
export const CONFIG_FILE = "dbclone-repository.json";

export interface RepositoryConfig {
  /** Longest lifetime a clone of this repository's images may ask for. */
  maxTtlSeconds?: number;
}

export interface RepositoryConfigFile {
  format: number;
  config: RepositoryConfig & { maxTtl?: string | number };
}

export class FsLayout {
  constructor(readonly root: string) {}

  get configFile(): string {
    return path.join(this.root, CONFIG_FILE);
  }
  get blobsDir(): string {
    return path.join(this.root, "blobs", "sha256");
  }
  get manifestsDir(): string {
    return path.join(this.root, "manifests");
  }
  get tagsDir(): string {
    return path.join(this.root, "tags");
  }
  get auditFile(): string {
    return path.join(this.root, "audit", "events.jsonl");
  }
  blob(digest: string): string {
    return path.join(this.blobsDir, digest.replace(/^sha256:/, ""));
  }
  /** Names are validated (lowercase segments, no `..`), so joining them is safe. */
  manifestDir(name: string): string {
    return path.join(this.manifestsDir, ...name.split("/"));
  }
  manifest(name: string, version: string): string {
    return path.join(this.manifestDir(name), `${version}.json`);
  }
  tagDir(name: string): string {
    return path.join(this.tagsDir, ...name.split("/"));
  }
  tag(name: string, tag: string): string {
    return path.join(this.tagDir(name), tag);
  }
}

/** Parse `maxTtl` given as seconds or a duration (90m, 8h, 2d): the grammar of util/duration.ts. */
export function parseTtlSeconds(value: string | number, source: string): number {
  const text = typeof value === "number" ? String(value) : value;
  return parseWholeSeconds(text, `${source}: maxTtl`, (m) => new RepositoryError(m));
}

/** The config file's contents, or undefined when the repository has not been written yet. */
export async function readConfigFile(layout: FsLayout): Promise<RepositoryConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(layout.configFile, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  let parsed: RepositoryConfigFile;
  try {
    parsed = JSON.parse(text) as RepositoryConfigFile;
  } catch (e) {
    throw new RepositoryError(`${layout.configFile} is not valid JSON (${(e as Error).message}); fix or restore it`);
  }
  if (typeof parsed.format !== "number") throw new RepositoryError(`${layout.configFile} lacks a numeric "format"; fix or restore it`);
  if (parsed.format > REPOSITORY_FORMAT) {
    throw new RepositoryError(
      `${layout.root} uses repository format ${parsed.format}, newer than this dbclone understands (${REPOSITORY_FORMAT}); upgrade dbclone`,
    );
  }
  return { format: parsed.format, config: parsed.config ?? {} };
}

export function configOf(file: RepositoryConfigFile | undefined, source: string): RepositoryConfig {
  const c = file?.config ?? {};
  const raw = c.maxTtlSeconds ?? c.maxTtl;
  return raw === undefined ? {} : { maxTtlSeconds: parseTtlSeconds(raw, source) };
}

/**
 * A repository root must be missing, empty, or already a repository: never a regular file or a
 * directory holding other things (we would scatter blobs into someone's folder).
 */
export async function assertUsableRoot(root: string): Promise<void> {
  const st = await stat(root).catch((e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? undefined : Promise.reject(e)));
  if (!st) return;
  if (!st.isDirectory()) {
    throw new RepositoryError(`repository path ${root} is a file, not a directory; pass a directory (new, empty, or an existing dbclone repository)`);
  }
  const entries = await readdir(root);
  if (entries.includes(CONFIG_FILE)) return;
  // Leftovers of a concurrent first write (its temp and the lock) do not count as foreign content.
  const foreign = entries.filter((e) => !e.startsWith(TEMP_PREFIX) && e !== `${CONFIG_FILE}.lock`);
  if (foreign.length) {
    throw new RepositoryError(
      `${root} is not a dbclone repository (no ${CONFIG_FILE}) and is not empty (${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", …" : ""}); pass an empty or new directory, or an existing repository`,
    );
  }
}
