// One batch of spilled originals matched on its own (a worker thread of the pool, or this thread):
// against the published-data cache (containers, copies, whole values) or over the data files
// (a residue tally). Inputs and results are plain arrays, so a batch travels between threads; the
// caller merges the results in batch order, which gives exactly what one pass per batch gave.
import { CONTAINER_KINDS, LogicalContent, type PublishedBatchResult } from "./explain.js";
import { batchSet, type BatchParts } from "./originals.js";
import { patternSetOf } from "./pattern-set.js";
import { replayCacheFile, type CacheFile } from "./published-cache.js";
import { emptyTally, scanDataFiles, type ResidueHit, type ResidueTally } from "./residue-scan.js";

export type LeakBatchJob =
  | { kind: "published"; batch: BatchParts; searched: number; cache: CacheFile }
  /** The batch's patterns followed by every container (the published data's stored forms): LogicalContent.scanSet()'s order. */
  | { kind: "files"; batch: BatchParts; wholeValues: Uint8Array; root: string };

export interface FilesBatchResult {
  kind: "files";
  tally: Omit<ResidueTally, "counts"> & { counts: [number, number][] };
}

export type LeakBatchResult = PublishedBatchResult | FilesBatchResult;

export async function runLeakBatch(job: LeakBatchJob): Promise<LeakBatchResult> {
  if (job.kind === "published") {
    const content = new LogicalContent(batchSet(job.batch), job.searched);
    replayCacheFile(job.cache, content);
    return content.exportBatch();
  }
  const tally = emptyTally();
  await scanDataFiles(job.root, { set: patternSetOf(job.batch.patterns), wholeValues: job.wholeValues }, tally);
  for (const h of tally.unexplained) h.source = job.batch.sourceOf[h.original - job.batch.firstId];
  return { kind: "files", tally: { ...tally, counts: [...tally.counts] } };
}

const EXAMPLES = 20;

/** Add one batch's data-file tally to `into` as if the batch had been scanned into it directly. */
export function mergeTally(into: ResidueTally, from: FilesBatchResult["tally"], bytesBefore: number): void {
  into.bytesScanned = bytesBefore + from.bytesScanned; // every batch scans the same bytes: counted once
  into.hits += from.hits;
  for (const k of CONTAINER_KINDS) into.explained[k] += from.explained[k];
  into.unexplainedCount += from.unexplainedCount;
  for (const h of from.unexplained as ResidueHit[]) if (into.unexplained.length < EXAMPLES) into.unexplained.push(h);
  for (const [o, n] of from.counts) into.counts.set(o, (into.counts.get(o) ?? 0) + n);
}
