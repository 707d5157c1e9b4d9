// The lineage graph and its layout. Nodes are versions; edges run parent → child, either a layer
// (manifest.parent: the child's disk layers on the parent's) or a flattened promote (the
// `dbclone.promoted-from` label). Layout: one column ("lane") per image name, one row per step,
// a version sits below the one before it in its lane and below every parent, so every edge
// points down and 50 versions read top to bottom without crossings inside a lane.
import type { CatalogVersion } from "./collect.js";

export type EdgeKind = "layer" | "promoted";

export interface LineageNode {
  version: CatalogVersion;
  lane: number;
  row: number;
}

export interface LineageEdge {
  from: LineageNode;
  to: LineageNode;
  kind: EdgeKind;
}

export interface LineageGraph {
  lanes: string[];
  nodes: LineageNode[];
  edges: LineageEdge[];
  rows: number;
}

const PROMOTED_FROM = "dbclone.promoted-from";

/** Parents of a version (digests), with how it derives from each. */
export function parentsOf(v: CatalogVersion): Array<{ digest: string; kind: EdgeKind }> {
  const out: Array<{ digest: string; kind: EdgeKind }> = [];
  const m = v.image.manifest;
  if (m.parent) out.push({ digest: m.parent, kind: "layer" });
  const promoted = /@(sha256:[0-9a-f]{64})$/.exec(m.labels[PROMOTED_FROM] ?? "")?.[1];
  if (promoted && promoted !== m.parent) out.push({ digest: promoted, kind: "promoted" });
  return out;
}

export function buildLineage(versions: CatalogVersion[]): LineageGraph {
  const lanes = [...new Set(versions.map((v) => v.image.name))];
  const laneOf = new Map(lanes.map((name, i) => [name, i]));
  // Oldest first, so parents are normally placed before their children.
  const ordered = [...versions].sort(
    (a, b) => a.image.manifest.created.localeCompare(b.image.manifest.created) || a.image.version.localeCompare(b.image.version),
  );
  const byDigest = new Map<string, LineageNode>();
  const laneNext = lanes.map(() => 0);
  const nodes: LineageNode[] = [];
  for (const version of ordered) {
    const lane = laneOf.get(version.image.name)!;
    let row = laneNext[lane]!;
    for (const p of parentsOf(version)) {
      const parent = byDigest.get(p.digest);
      if (parent) row = Math.max(row, parent.row + 1);
    }
    const node = { version, lane, row };
    laneNext[lane] = row + 1;
    byDigest.set(version.image.manifestDigest, node);
    nodes.push(node);
  }
  const edges: LineageEdge[] = [];
  for (const to of nodes) {
    for (const p of parentsOf(to.version)) {
      const from = byDigest.get(p.digest);
      if (from && from !== to) edges.push({ from, to, kind: p.kind });
    }
  }
  return { lanes, nodes, edges, rows: Math.max(0, ...nodes.map((n) => n.row + 1)) };
}
