// Reading a directory repository: manifests by path, all versions of a name, all tags.
import type { Dirent } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { RepositoryError } from "../errors.js";
import { manifestDigest } from "../image/digest.js";
import { parseManifest } from "../image/manifest.js";
import type { PublishedImage } from "./types.js";
import type { FsLayout } from "./layout.js";
import type { ValidatedManifests } from "./validated-manifests.js";
import { TEMP_PREFIX } from "../util/durable-write.js";

export function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * The published image at manifests/<name>/<version>.json, or undefined when absent. `validated`:
 * manifests validated before, used as parsed (validated-manifests.ts).
 */
export async function readPublished(layout: FsLayout, name: string, version: string, validated?: ValidatedManifests): Promise<PublishedImage | undefined> {
  const file = layout.manifest(name, version);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  const { manifest, digest } = validated ? await validated.read(text, file) : { manifest: parseManifest(text, file), digest: undefined };
  if (manifest.name !== name || manifest.version !== version) {
    throw new RepositoryError(
      `${file} holds ${manifest.name}:${manifest.version}, not ${name}:${version}: the repository was edited by hand; move the file back`,
    );
  }
  return { name, version, manifestDigest: digest ?? manifestDigest(manifest), manifest };
}

/** Versions of one image name (not of names nested below it). */
export async function versionsOf(layout: FsLayout, name: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(layout.manifestDir(name), { withFileTypes: true });
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  return entries.filter((d) => d.isFile() && d.name.endsWith(".json") && !d.name.startsWith(TEMP_PREFIX)).map((d) => d.name.slice(0, -".json".length));
}

/** Every image name that has at least one version, found by walking manifests/. */
export async function allNames(layout: FsLayout): Promise<string[]> {
  const names: string[] = [];
  async function walk(dir: string, prefix: string[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (prefix.length && entries.some((d) => d.isFile() && d.name.endsWith(".json") && !d.name.startsWith(TEMP_PREFIX))) {
      names.push(prefix.join("/"));
    }
    for (const d of entries) if (d.isDirectory()) await walk(path.join(dir, d.name), [...prefix, d.name]);
  }
  await walk(layout.manifestsDir, []);
  return names.sort();
}

/** Every published image of `name`, or of all names. */
export async function allPublished(layout: FsLayout, name?: string): Promise<PublishedImage[]> {
  const out: PublishedImage[] = [];
  for (const n of name ? [name] : await allNames(layout)) {
    for (const v of await versionsOf(layout, n)) {
      const image = await readPublished(layout, n, v);
      if (image) out.push(image);
    }
  }
  return out;
}

/** tag → version for one image name. */
export async function readTags(layout: FsLayout, name: string): Promise<Record<string, string>> {
  let entries: Dirent[];
  try {
    entries = await readdir(layout.tagDir(name), { withFileTypes: true });
  } catch (e) {
    if (isNotFound(e)) return {};
    throw e;
  }
  const tags: Record<string, string> = {};
  for (const d of entries) {
    if (!d.isFile() || d.name.startsWith(TEMP_PREFIX)) continue;
    const version = (await readFile(path.join(layout.tagDir(name), d.name), "utf8").catch(() => "")).trim();
    if (version) tags[d.name] = version;
  }
  return tags;
}
