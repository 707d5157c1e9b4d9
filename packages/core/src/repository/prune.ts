// Retention: delete old versions while keeping everything something still needs. Kept are the
// newest N per image, tagged versions, versions a live clone uses, versions built at a commit
// carrying a git tag (unless asked otherwise), and — transitively — every parent a kept version
// layers on. Blobs go only when no remaining manifest references them (Repository.delete's rule).
import { ImageInUseError } from "../errors.js";
import type { PublishedImage, Repository } from "./types.js";

export interface PruneOptions {
  /** Versions per image name to keep, newest first by creation time (default 5). */
  keepLast?: number;
  /** Report what would go without deleting anything. */
  dryRun?: boolean;
  /** Only versions of this image name. */
  name?: string;
  /** Manifest digests live clones were made from (the local clone registry). */
  liveCloneDigests: string[];
  /** Commits that carry a git tag: versions built at them are kept unless includeTaggedCommits. */
  taggedCommits?: Iterable<string>;
  includeTaggedCommits?: boolean;
}

export interface PruneEntry {
  name: string;
  version: string;
  manifestDigest: string;
  diskSizeBytes: number;
  /** Why it stays (empty for removed versions). */
  reasons: string[];
}

export interface PruneResult {
  dryRun: boolean;
  removed: PruneEntry[];
  kept: PruneEntry[];
  /** Bytes of blobs no remaining version references (what the removal frees, or would free). */
  freedBytes: number;
}

export const DEFAULT_KEEP_LAST = 5;

export async function pruneImages(repository: Repository, opts: PruneOptions): Promise<PruneResult> {
  const keepLast = opts.keepLast ?? DEFAULT_KEEP_LAST;
  const summaries = await repository.list();
  const all: PublishedImage[] = [];
  for (const s of summaries) all.push(await repository.resolve({ name: s.name, digest: s.manifestDigest }));
  const byDigest = new Map(all.map((i) => [i.manifestDigest, i]));
  const tagged = new Set(summaries.filter((s) => s.tags.length).map((s) => s.manifestDigest));
  const tagNames = new Map(summaries.map((s) => [s.manifestDigest, s.tags]));
  const live = new Set(opts.liveCloneDigests);
  const commits = [...(opts.taggedCommits ?? [])];
  const reasons = new Map<string, string[]>(all.map((i) => [i.manifestDigest, []]));
  const why = (digest: string, reason: string) => reasons.get(digest)?.push(reason);

  const names = new Set(all.map((i) => i.name));
  for (const name of names) {
    const versions = all
      .filter((i) => i.name === name)
      .sort((a, b) => b.manifest.created.localeCompare(a.manifest.created) || b.version.localeCompare(a.version));
    versions.forEach((image, index) => {
      // Other names are out of scope: everything of theirs stays.
      if (opts.name && name !== opts.name) why(image.manifestDigest, `not image ${opts.name}`);
      else if (index < keepLast) why(image.manifestDigest, `one of the newest ${keepLast}`);
    });
  }
  for (const image of all) {
    if (tagged.has(image.manifestDigest)) why(image.manifestDigest, `tagged ${tagNames.get(image.manifestDigest)!.join(", ")}`);
    if (live.has(image.manifestDigest)) why(image.manifestDigest, "a live clone uses it");
    const commit = image.manifest.git?.commit;
    if (!opts.includeTaggedCommits && commit && commits.some((c) => c.startsWith(commit) || commit.startsWith(c))) {
      why(image.manifestDigest, `built at git-tagged commit ${commit.slice(0, 12)}`);
    }
  }
  // A kept version needs its whole parent chain.
  for (const image of all) {
    if (!reasons.get(image.manifestDigest)!.length) continue;
    for (let p = image.manifest.parent; p && byDigest.has(p); p = byDigest.get(p)!.manifest.parent) {
      const label = `parent of ${image.name}:${image.version}`;
      if (!reasons.get(p)!.includes(label)) why(p, label);
    }
  }

  const entry = (i: PublishedImage): PruneEntry => ({
    name: i.name,
    version: i.version,
    manifestDigest: i.manifestDigest,
    diskSizeBytes: i.manifest.disk.sizeBytes,
    reasons: reasons.get(i.manifestDigest)!,
  });
  // Children before their parents: the repository refuses to delete a version a child layers on.
  const depth = (i: PublishedImage): number => (i.manifest.parent && byDigest.has(i.manifest.parent) ? 1 + depth(byDigest.get(i.manifest.parent)!) : 0);
  const doomed = all.filter((i) => !reasons.get(i.manifestDigest)!.length).sort((a, b) => depth(b) - depth(a));
  const kept = all.filter((i) => reasons.get(i.manifestDigest)!.length);
  const removed: PublishedImage[] = [];
  for (const image of doomed) {
    if (opts.dryRun) {
      removed.push(image);
      continue;
    }
    try {
      await repository.delete(image, { liveCloneDigests: opts.liveCloneDigests });
      removed.push(image);
    } catch (e) {
      if (!(e instanceof ImageInUseError)) throw e;
      reasons.get(image.manifestDigest)!.push(`delete refused: ${e.message}`);
      kept.push(image);
    }
  }
  const remainingBlobs = new Set(kept.map((i) => i.manifest.disk.digest));
  const freed = new Map<string, number>();
  for (const i of removed) if (!remainingBlobs.has(i.manifest.disk.digest)) freed.set(i.manifest.disk.digest, i.manifest.disk.sizeBytes);
  return {
    dryRun: Boolean(opts.dryRun),
    removed: removed.map(entry),
    kept: kept.map(entry),
    freedBytes: [...freed.values()].reduce((a, b) => a + b, 0),
  };
}
