// The leak scan's two answers and what the manifest records of them.
//   Copies: an original of a masked column inside an unmasked column. Fails the build when the
//     masked column is high-cardinality (isHighCardinality) and the unmasked column is not
//     declared notPersonal; otherwise reported.
//   Residue: a raw-byte hit that no published value explains. Always fails the build.
import type { ContainerKind } from "./explain.js";
import type { CopyFinding } from "./explain.js";
import { HIGH_CARDINALITY_RATIO, isHighCardinality, type OriginalSet, type OriginalSource } from "./originals.js";
import type { ResidueHit, ResidueTally } from "./residue-scan.js";

export interface CopyRecord {
  /** The unmasked column holding the copies: database.schema.table.column. */
  column: string;
  /** The masked column the originals come from. */
  source: string;
  /** Distinct originals of `source` found in `column`. */
  originals: number;
  highCardinality: boolean;
  verdict: "failed" | "reported" | "not-personal";
  reason?: string;
  [key: string]: unknown;
}

export interface LeakScanRecord {
  mode: "exhaustive" | "none";
  reason?: string;
  /** Distinct originals searched for (each as UTF-8 and UTF-16LE), out of all distinct originals. */
  valuesSearched: number;
  valuesTotal: number;
  /** Published values read to tell legitimate bytes from residue. */
  publishedValuesRead: number;
  bytesScanned: number;
  /** Raw-byte matches, those explained by published data (by kind), and residue. */
  matches: number;
  explained: Record<ContainerKind, number>;
  /** Residue hits (unexplained); any fails the build. Kept as `hits` for older readers. */
  hits: number;
  /** Kept for older readers: the number of values searched. */
  probes: number;
  copies: CopyRecord[];
  copiesFailed: number;
  highCardinalityRatio: number;
}

export const columnName = (c: { database: string; schema: string; table: string; column: string }) => `${c.database}.${c.schema}.${c.table}.${c.column}`;

export function judgeCopies(originals: OriginalSet, copies: Iterable<CopyFinding>, notPersonal: Map<string, string>): CopyRecord[] {
  const out: CopyRecord[] = [];
  for (const f of copies) {
    const column = columnName(f);
    for (const [sourceIndex, found] of f.bySource) {
      const source: OriginalSource = originals.sources[sourceIndex]!;
      const high = isHighCardinality(source);
      const reason = notPersonal.get(column);
      const verdict = !high ? "reported" : reason !== undefined ? "not-personal" : "failed";
      out.push({ column, source: columnName(source), originals: found.size, highCardinality: high, verdict, ...(reason !== undefined ? { reason } : {}) });
    }
  }
  return out.sort((a, b) => a.column.localeCompare(b.column) || a.source.localeCompare(b.source));
}

/** What the error says about a copy: columns and counts, never a value. */
export function describeCopies(copies: CopyRecord[]): string {
  return copies.map((c) => `${c.column} holds ${c.originals} value(s) of masked ${c.source}`).join("; ");
}

export function describeResidue(originals: OriginalSet, hits: ResidueHit[]): string {
  return hits
    .map(
      (h) =>
        `${columnName(originals.sources[h.source ?? originals.sourceOf[h.original]!]!)} (${h.utf16 ? "UTF-16LE" : "UTF-8"}) in ${h.channel} at byte ${h.offset} of ${h.file}`,
    )
    .join("; ");
}

export function leakScanRecord(originals: OriginalSet, publishedValuesRead: number, tally: ResidueTally, copies: CopyRecord[]): LeakScanRecord {
  return {
    mode: "exhaustive",
    valuesSearched: originals.searched,
    valuesTotal: originals.distinctTotal,
    publishedValuesRead,
    bytesScanned: tally.bytesScanned,
    matches: tally.hits,
    explained: tally.explained,
    hits: tally.unexplainedCount,
    probes: originals.searched,
    copies,
    copiesFailed: copies.filter((c) => c.verdict === "failed").length,
    highCardinalityRatio: HIGH_CARDINALITY_RATIO,
  };
}
