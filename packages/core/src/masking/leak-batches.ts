// The leak scan's batches of spilled originals on worker threads, up to `jobs` at once: each batch
// is matched against the published-data cache, then over the data files, on a worker started for
// it; the results are merged in batch order, so the verdict and the record are those of one pass
// per batch on this thread. At most `jobs` batches are loaded at a time (bounded memory).
import crypto from "node:crypto";
import type { Reporter } from "../reporter.js";
import { mapLimit } from "../util/map-limit.js";
import { mergeTally, runLeakBatch, type FilesBatchResult, type LeakBatchJob } from "./leak-scan/batch-job.js";
import type { LogicalContent, PublishedBatchResult } from "./leak-scan/explain.js";
import type { OriginalSet } from "./leak-scan/originals.js";
import type { PublishedCache } from "./leak-scan/published-cache.js";
import type { ResidueTally } from "./leak-scan/residue-scan.js";
import { defaultJobs, startMappingPool } from "./transformers/mapping-pool.js";

async function onWorkers<R>(
  originals: OriginalSet,
  jobs: number | undefined,
  job: (i: number) => LeakBatchJob,
  reporter: Reporter,
  what: string,
): Promise<R[]> {
  const lanes = Math.min(jobs ?? defaultJobs(), originals.batchCount);
  const started = performance.now();
  let done = 0;
  return mapLimit(
    Array.from({ length: originals.batchCount }, (_, i) => i),
    lanes,
    async (i) => {
      const result = (await (lanes > 1 ? onFreshWorker(job(i)) : runLeakBatch(job(i)))) as R;
      reporter.debug(`Leak scan: ${what} for ${++done} of ${originals.batchCount} batches (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      return result;
    },
  );
}

/**
 * One batch on a worker of its own, ended with the batch: all of its memory goes back at once
 * (with reused workers the 10 M scan peaked at 1.01 GiB; a finished batch's garbage can wait for
 * V8 beside the next one). The pool's masking key is never used by a leak batch: a random one.
 */
async function onFreshWorker(job: LeakBatchJob) {
  const pool = await startMappingPool(crypto.randomBytes(32), 1);
  try {
    return await pool.leakBatch(job);
  } finally {
    await pool.close();
  }
}

/** Every batch matched against the published-data cache; containers, copies and whole values merged into `content`. */
export async function matchPublishedOnWorkers(
  originals: OriginalSet,
  cache: PublishedCache,
  content: LogicalContent,
  jobs: number | undefined,
  reporter: Reporter,
): Promise<void> {
  const file = cache.describe();
  const results = await onWorkers<PublishedBatchResult>(
    originals,
    jobs,
    (i) => ({ kind: "published", batch: originals.batchParts(i), searched: originals.searched, cache: file }),
    reporter,
    "published data matched",
  );
  for (const r of results) content.mergeBatch(r);
}

/** Every batch (with all containers) over the data files under `root`, into `tally`. */
export async function scanDataFilesOnWorkers(
  originals: OriginalSet,
  content: LogicalContent,
  root: string,
  tally: ResidueTally,
  jobs: number | undefined,
  reporter: Reporter,
): Promise<void> {
  const containers = content.containerParts();
  const results = await onWorkers<FilesBatchResult>(
    originals,
    jobs,
    (i) => ({ kind: "files", batch: originals.batchParts(i, containers), wholeValues: content.wholeValues, root }),
    reporter,
    "data files scanned",
  );
  const before = tally.bytesScanned;
  for (const r of results) mergeTally(tally, r.tally, before);
}
