// Reading what a repository's tags hold: version tags (tag = the version annotation) versus
// movable tags, from the OCI manifests' annotations, without downloading configs.
import type { RegistryClient } from "./client.js";
import { getManifest, listTags, type FetchedManifest } from "./manifests.js";
import * as mt from "./media-types.js";

export interface TaggedManifest extends FetchedManifest {
  tag: string;
  /** The dbclone version this manifest is (annotation); undefined for foreign artifacts. */
  version?: string;
  imageId?: string;
}

export function isDbcloneManifest(f: FetchedManifest): boolean {
  return f.manifest.artifactType === mt.IMAGE_ARTIFACT_TYPE || f.manifest.config?.mediaType === mt.IMAGE_CONFIG_MEDIA_TYPE;
}

/** Every tag of `repo` with the dbclone manifest it points at (foreign artifacts are skipped). */
export async function scanTags(client: RegistryClient, repo: string): Promise<TaggedManifest[]> {
  const out: TaggedManifest[] = [];
  for (const tag of await listTags(client, repo)) {
    const fetched = await getManifest(client, repo, tag);
    if (!fetched || !isDbcloneManifest(fetched)) continue;
    const a = fetched.manifest.annotations ?? {};
    out.push({ ...fetched, tag, version: a[mt.ANNOTATION_IMAGE_VERSION], imageId: a[mt.ANNOTATION_IMAGE_ID] ?? fetched.manifest.config.digest });
  }
  return out;
}

/** Movable tag → version, for the tags that are not versions themselves. */
export function movableTags(scanned: TaggedManifest[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const t of scanned) if (t.version && t.version !== t.tag) tags[t.tag] = t.version;
  return tags;
}
