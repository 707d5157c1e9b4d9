// The history of an image version: its chain of parents (promoted/layered versions), newest
// first, with who built it, at which commit, from what, and under which masking policy.
import { imageChain } from "../repository/layers.js";
import type { PublishedImage, Repository } from "../repository/types.js";

export interface LogEntry {
  name: string;
  version: string;
  manifestDigest: string;
  parent?: string;
  created: string;
  sourceKind: string;
  sourceDescription: string;
  commit?: string;
  actor?: string;
  runUrl?: string;
  maskingPolicyDigest?: string;
  /** Bytes of this version's own blob (a layer for promoted versions). */
  diskSizeBytes: number;
  /** Set on flattened versions: the version it was promoted from (no layer link). */
  promotedFrom?: string;
}

export function logEntryOf(image: PublishedImage): LogEntry {
  const m = image.manifest;
  return {
    name: image.name,
    version: image.version,
    manifestDigest: image.manifestDigest,
    ...(m.parent ? { parent: m.parent } : {}),
    created: m.created,
    sourceKind: m.source.kind,
    sourceDescription: m.source.description,
    ...(m.git?.commit ? { commit: m.git.commit } : {}),
    ...(m.build.actor ? { actor: m.build.actor } : {}),
    ...(m.build.runUrl ? { runUrl: m.build.runUrl } : {}),
    ...(m.masking ? { maskingPolicyDigest: m.masking.policyDigest } : {}),
    diskSizeBytes: m.disk.sizeBytes,
    ...(m.labels["dbclone.promoted-from"] ? { promotedFrom: m.labels["dbclone.promoted-from"] } : {}),
  };
}

/** `image` and every ancestor, newest first. */
export async function imageLog(repository: Repository, image: PublishedImage): Promise<LogEntry[]> {
  return (await imageChain(repository, image)).map(logEntryOf);
}
