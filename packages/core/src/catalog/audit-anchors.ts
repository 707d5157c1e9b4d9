// Anchors of one audit log (its head copied to a git tag or an OCI artifact by `dbclone audit
// anchor`), found the way `dbclone audit --verify` finds them, and checked against the chain.
import { checkAgainstAnchor, type AuditAnchor } from "../audit/index.js";
import { AuditError, RepositoryError, UnreachableError } from "../errors.js";
import { newestGitAnchor } from "../repository/audit-anchor-git.js";
import type { OciAuditArtifacts } from "../repository/oci/audit-artifacts.js";

export interface AnchorView {
  ok: boolean;
  /** e.g. `git tag dbclone-audit/<id>/12` or `OCI artifact <registry>/dbclone-audit:anchor-<id>-12`. */
  source: string;
  seq: number;
  time: string;
  problem?: string;
}

export interface FoundAnchor {
  source: string;
  anchor?: AuditAnchor;
  /** An anchor that could not be read back (it is data: a bad one is shown, not trusted). */
  unreadable?: string;
}

export interface AnchorPlaces {
  gitDir: string;
  artifacts?: OciAuditArtifacts;
  /** Shown before an OCI anchor's tag, e.g. `127.0.0.1:5000/acme/dbclone-audit`. */
  ociWhere?: string;
}

/** The newest anchor of `logId` in each place (git tags, the registry). */
export async function findAnchors(logId: string, places: AnchorPlaces): Promise<FoundAnchor[]> {
  const found: FoundAnchor[] = [];
  await readOne(found, `git tags dbclone-audit/${logId}/* in ${places.gitDir}`, async () => {
    const git = await newestGitAnchor(places.gitDir, logId);
    if (git) found.push({ source: git.source, anchor: git.anchor });
  });
  if (places.artifacts) {
    const artifacts = places.artifacts;
    await readOne(found, `OCI artifacts ${places.ociWhere}:anchor-${logId}-*`, async () => {
      const oci = await artifacts.newestAnchor(logId);
      if (oci) found.push({ source: `OCI artifact ${places.ociWhere}:${oci.tag}`, anchor: oci.anchor });
    });
  }
  return found;
}

async function readOne(found: FoundAnchor[], where: string, read: () => Promise<void>): Promise<void> {
  try {
    await read();
  } catch (e) {
    // A malformed anchor is a finding; an unreachable registry is a failure of the catalog run.
    if (e instanceof UnreachableError || !(e instanceof AuditError || e instanceof RepositoryError || e instanceof SyntaxError)) throw e;
    found.push({ source: where, unreadable: (e as Error).message });
  }
}

/**
 * Check a chain that verified on its own against its anchors: the first one that contradicts it,
 * else the newest one that holds (undefined when there is none).
 */
export function checkAnchors(events: Array<{ seq: number; hash: string }>, found: FoundAnchor[]): AnchorView | undefined {
  const views: AnchorView[] = found.map((f) => {
    if (!f.anchor) return { ok: false, source: f.source, seq: 0, time: "", problem: `the anchor cannot be read: ${f.unreadable ?? "unknown"}` };
    const check = checkAgainstAnchor(events, f.anchor, f.source);
    return { ok: check.ok, source: f.source, seq: f.anchor.seq, time: f.anchor.time, ...(check.problem ? { problem: check.problem } : {}) };
  });
  return views.find((v) => !v.ok) ?? views.sort((a, b) => b.seq - a.seq)[0];
}
