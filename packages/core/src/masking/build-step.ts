// The masking step of a build: resolve the policy against the restored data, scan what it leaves
// unmasked, mask set-based, read the published data for the leak scan (copies fail here, before
// sealing); after sealing, the raw-byte leak scan of the data files and of the final disk.
import { sha256Of, canonicalJson } from "../image/digest.js";
import type { DatabaseInfo } from "../image/inventory.js";
import { silentReporter, type Reporter } from "../reporter.js";
import { NotSupportedError } from "../errors.js";
import { LeakFoundError, NothingToScanError, UnmaskedPiiError, UnmaskedPublishError } from "./errors.js";
import type { MaskingKey } from "./key.js";
import { LogicalContent } from "./leak-scan/explain.js";
import { PublishedCache } from "./leak-scan/published-cache.js";
import { blobSource, dataFileSources, emptyTally, scanBlob, scanDataFiles, type ResidueTally, type ScanPlan } from "./leak-scan/residue-scan.js";
import { matchPublishedOnePass, scanFilesOnePass, type OnePassStats } from "./leak-scan/one-pass.js";
import { ORIGINALS_BUDGET } from "./leak-scan/originals-collector.js";
import type { WindowIndex } from "./leak-scan/window-index.js";
import { columnName, describeCopies, describeResidue, judgeCopies, leakScanRecord, type CopyRecord, type LeakScanRecord } from "./leak-scan/verdict.js";
import type { OriginalSet } from "./leak-scan/originals.js";
import type { PiiCandidate } from "./pii/detect.js";
import { checkPolicySql, checkTransformerTypes } from "./policy/check-against-schema.js";
import { resolvePolicy, type ResolvedPolicy, type TableRef } from "./policy/resolve-policy.js";
import type { MaskingPolicy } from "./policy/types.js";
import type { MaskingRun } from "./plan.js";
import type { MaskingTarget } from "./port.js";

export interface MaskingOptions {
  policy: MaskingPolicy;
  key: MaskingKey;
  /** Which of the policy's variants this build publishes. */
  variant?: string;
  /** Show this table's first row before/after (the demo). */
  preview?: TableRef;
  /** Mapping workers and tables masked at once (default: the cores available). */
  jobs?: number;
  /** Bytes of originals the leak scan holds in memory at once (default ORIGINALS_BUDGET); more are spilled and scanned in partitions. */
  originalsBudget?: number;
  /** Where the leak scan's temporary files go (the build's work directory; default: the OS temporary directory). */
  tempDir?: string;
}

/** Where the one-pass leak scan keeps its files, and how much of the originals one partition loads. */
export interface LeakScanSpace {
  budget?: number;
  tempDir?: string;
}

/** The leak scan prepared from the masked data: what to search and what explains a hit. */
export interface PreparedLeakScan {
  originals: OriginalSet;
  /**
   * Originals and containers (stored forms of published values holding an original), and whole
   * published originals. Only when the originals fit in memory (one batch): spilled originals are
   * scanned in one pass through their index (scanDataFilesForLeaks, leakScanOrFail), and reading `plan` throws.
   */
  plan: ScanPlan;
  /** The published data's containers, copies and whole values (the per-batch plans are made from it). */
  content: LogicalContent;
  copies: CopyRecord[];
  publishedValuesRead: number;
  /** Hits in the data files, each named by its channel (scanDataFilesForLeaks). */
  files: ResidueTally;
  reporter?: Reporter;
  /** Spilled originals: the one-pass scan's partition budget and temporary directory. */
  space?: LeakScanSpace;
  /** What each one-pass scan measured (spilled originals): for the bench and the log. */
  onePass?: { published?: OnePassStats; files?: OnePassStats };
}

export interface MaskingStepResult {
  resolved: ResolvedPolicy;
  run: MaskingRun;
  piiCandidates: PiiCandidate[];
  /** Undefined when the policy says `leakScan: { mode: none, reason }`, or the engine cannot read its published data (`leakUnprepared`). */
  leak?: PreparedLeakScan;
  /** The leak scan still runs, over the sealed disk without a prepared plan (leakScanOrFail without `prepared`). */
  leakUnprepared?: true;
}

export type LeakScanResult = LeakScanRecord & { seconds: number; mbPerSecond: number };

/** The digest recorded in the manifest: the policy's content (not where it was written) plus the variant. */
export function policyDigest(policy: MaskingPolicy, variant?: string): string {
  const { origin: _origin, ...content } = policy;
  return sha256Of(canonicalJson({ policy: content, variant: variant ?? null }));
}

export function describePii(candidates: PiiCandidate[]): string {
  return candidates.map((c) => `${c.database}.${c.schema}.${c.table}.${c.column} (${c.reasons.join("; ")})`).join(", ");
}

/** `target`: the engine's side of masking the build's running server (Engine.masking). */
export async function maskForBuild(target: MaskingTarget, databases: DatabaseInfo[], opts: MaskingOptions, reporter: Reporter): Promise<MaskingStepResult> {
  const resolved = resolvePolicy(opts.policy, opts.variant, await target.schemaFacts(databases));
  // Against the restored schema, before any row changes: a rule that cannot work is a policy error.
  checkTransformerTypes(resolved, opts.policy);
  await checkPolicySql(resolved, opts.policy, (check) => target.explainSql(check));
  const gone = new Set([...resolved.exclude, ...resolved.truncate].map((t) => `${t.database}.${t.schema}.${t.table}`));
  const remaining = databases.map((d) => ({ ...d, tables: d.tables.filter((t) => !gone.has(`${d.name}.${t.schema}.${t.name}`)) }));
  const notPersonal = new Set(resolved.notPersonal.map(columnName));
  const piiCandidates = (await target.scanUnmaskedPii(remaining, resolved.rules)).filter((c) => !notPersonal.has(columnName(c)));
  if (piiCandidates.length) {
    const list = describePii(piiCandidates);
    if (resolved.onUnmaskedPii === "fail") {
      throw new UnmaskedPiiError(
        `unmasked columns look like personal data: ${list}. Mask them in the policy, declare them under the table's notPersonal with a reason, or set onUnmaskedPii: warn.`,
      );
    }
    reporter.warn(`Unmasked columns look like personal data: ${list}`);
  }
  reporter.info(
    `Masking ${resolved.rules.length} column(s)${opts.key.insecure ? " with a throw-away key" : ""}${opts.variant ? ` for variant ${opts.variant}` : ""}`,
  );
  const run = await target.mask(resolved, opts.key.bytes, reporter, {
    preview: opts.preview,
    jobs: opts.jobs,
    originalsBudget: opts.originalsBudget,
    ...(opts.tempDir ? { tempDir: opts.tempDir } : {}),
  });
  if (resolved.leakScan.mode === "none") {
    run.originals.dispose();
    reporter.warn(`Leak scan skipped by the policy: ${resolved.leakScan.reason}`);
    return { resolved, run, piiCandidates };
  }
  if (run.originals.searched === 0) {
    run.originals.dispose();
    throw new NothingToScanError(
      "the policy leaves the leak scan no original value to search for (no masked text column with values of 6 bytes or more), so nothing would prove the image clean. " +
        'Mask the personal text columns with a value transformer, or say why no scan is needed: leakScan: { mode: none, reason: "…" }.',
    );
  }
  if (!target.readPublished) return { resolved, run, piiCandidates, leakUnprepared: true };
  try {
    return {
      resolved,
      run,
      piiCandidates,
      leak: await prepareLeakScan(target, resolved, run.originals, reporter, { budget: opts.originalsBudget, tempDir: opts.tempDir }),
    };
  } catch (e) {
    run.originals.dispose();
    throw e;
  }
}

/** Read the published data: containers for the residue scan, and copies (a failed copy stops the build here). */
export async function prepareLeakScan(
  target: MaskingTarget,
  resolved: ResolvedPolicy,
  originals: OriginalSet,
  reporter: Reporter,
  space: LeakScanSpace = {},
): Promise<PreparedLeakScan> {
  const readPublished = target.readPublished?.bind(target);
  if (!readPublished) throw new NotSupportedError("internal: this engine cannot read its published data back for a prepared leak scan");
  const masked = new Set(resolved.rules.map(columnName));
  const isMasked = (database: string, schema: string, table: string, column: string) => masked.has(columnName({ database, schema, table, column }));
  let content: LogicalContent | undefined;
  let publishedValuesRead = 0;
  const onePass: NonNullable<PreparedLeakScan["onePass"]> = {};
  if (originals.batchCount === 1) {
    for await (const batch of originals.batches()) content = new LogicalContent(batch, originals.searched);
    await readPublished(content!, isMasked);
    publishedValuesRead = content!.valuesRead;
  } else {
    // Spilled originals: the published data is read from the server once, into a private file,
    // which is matched in one pass against all originals (their index: leak-scan/one-pass.ts).
    const cache = new PublishedCache(space.tempDir);
    try {
      const read = performance.now();
      await readPublished(cache, isMasked);
      cache.seal();
      publishedValuesRead = cache.valuesRead;
      reporter.info(`Leak scan: published data read once (${cache.valuesRead} values) in ${((performance.now() - read) / 1000).toFixed(1)} s`);
      if (originals.onePass) {
        const index = leakIndex(originals, space, reporter);
        reporter.info(
          `Leak scan: ${originals.searched} original values, matched in one pass over one read of the published data (${index.partitions} partitions)`,
        );
        content = new LogicalContent(originals, originals.searched);
        onePass.published = await matchPublishedOnePass(index, cache.describe(), content, reporter);
      } else {
        for await (const batch of originals.batches()) {
          if (content) content.useOriginals(batch);
          else content = new LogicalContent(batch, originals.searched);
          cache.replay(content);
        }
      }
    } finally {
      cache.dispose();
    }
  }
  if (!content) throw new NothingToScanError("internal: the leak scan has no batch of originals to search for");
  const copies = judgeCopies(originals, content.copies.values(), new Map(resolved.notPersonal.map((n) => [columnName(n), n.reason])));
  const failed = copies.filter((c) => c.verdict === "failed");
  if (failed.length) {
    throw new LeakFoundError(
      `unmasked columns hold copies of masked personal data, so nothing was published: ${describeCopies(failed)}. ` +
        "Mask those columns too, or, if they are not personal data, list them under the table's notPersonal with a reason." +
        (failed.some((c) => /^[^.]+\.(pg_catalog|information_schema)\./.test(c.column))
          ? " Catalog text (comments, view and function definitions, defaults) is published as it is: remove the personal data from it in the source."
          : ""),
    );
  }
  const reported = copies.filter((c) => c.verdict !== "failed");
  if (reported.length) reporter.info(`Leak scan: values of masked columns also occur in unmasked columns (reported, not failing): ${describeCopies(reported)}`);
  const whole = { originals, copies, publishedValuesRead, files: emptyTally(), content, reporter, space, ...(originals.onePass ? { onePass } : {}) };
  if (originals.batchCount === 1) return { ...whole, plan: { set: content.scanSet(), wholeValues: content.wholeValues } };
  // Not enumerable: a copy ({ ...leak }) has no plan rather than one that throws.
  return Object.defineProperty(whole, "plan", {
    enumerable: false,
    get: () => {
      throw new NothingToScanError("internal: spilled originals are scanned in one pass through their index, not with one plan");
    },
  }) as PreparedLeakScan;
}

/**
 * One pass of `scan` per batch of originals (one in memory), into `tally`: hits add up (each
 * original is in one batch), the bytes are counted once, and residue examples name their column.
 */
async function scanInBatches(leak: PreparedLeakScan, tally: ResidueTally, scan: (plan: ScanPlan, pass: number) => Promise<void>): Promise<void> {
  const start = tally.bytesScanned;
  let pass = 0;
  for await (const batch of leak.originals.batches()) {
    let plan: ScanPlan;
    if (leak.originals.batchCount === 1) plan = leak.plan;
    else {
      leak.content.useOriginals(batch);
      plan = { set: leak.content.scanSet(), wholeValues: leak.content.wholeValues };
    }
    const examples = tally.unexplained.length;
    tally.bytesScanned = start;
    await scan(plan, pass++);
    for (const h of tally.unexplained.slice(examples)) h.source = batch.sourceOfId(h.original);
  }
}

/** The one-pass index of spilled originals (built once, on first use), logged with its size. */
function leakIndex(originals: OriginalSet, space: LeakScanSpace, reporter: Reporter): WindowIndex {
  if (originals.hasWindowIndex) return originals.windowIndex(space.budget ?? ORIGINALS_BUDGET, space.tempDir);
  const t = performance.now();
  const index = originals.windowIndex(space.budget ?? ORIGINALS_BUDGET, space.tempDir);
  reporter.info(
    `Leak scan: ${originals.searched} original values indexed for one pass (${index.originalPatterns} patterns, ${index.partitions} partitions, ` +
      `filter ${(index.filter.bytes / 1048576).toFixed(0)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s; ${(process.memoryUsage.rss() / 1048576).toFixed(0)} MB RSS`,
  );
  return index;
}

/** The index with the published data's containers in it (added once: the data files and the disk search them too). */
function leakIndexWithContainers(leak: PreparedLeakScan): WindowIndex {
  const reporter = leak.reporter ?? silentReporter;
  const index = leakIndex(leak.originals, leak.space ?? {}, reporter);
  if (!index.containersAdded) index.addContainers(leak.content.containerParts());
  return index;
}

/** The data files of the fresh disk, before sealing: hits here are named by file role (WAL, table, index). */
export async function scanDataFilesForLeaks(dataRoot: string, leak: PreparedLeakScan): Promise<void> {
  if (leak.originals.onePass) {
    const index = leakIndexWithContainers(leak);
    const stats = await scanFilesOnePass(
      index,
      await dataFileSources(dataRoot),
      leak.files,
      leak.content.wholeValues,
      leak.reporter ?? silentReporter,
      "data files",
    );
    if (leak.onePass) leak.onePass.files = stats;
    return;
  }
  await scanInBatches(leak, leak.files, (plan) => scanDataFiles(dataRoot, plan, leak.files));
}

/**
 * The sealed disk, every byte. Any residue (in a data file or anywhere else on the disk) stops the
 * build. Without a prepared scan (an engine that cannot read its published data yet), every hit counts.
 */
export async function leakScanOrFail(file: string, run: MaskingRun, reporter: Reporter, prepared?: PreparedLeakScan): Promise<LeakScanResult> {
  try {
    return await leakScanOfDisk(file, run, reporter, prepared);
  } finally {
    run.originals.dispose(); // the last use of the originals: a spill is removed now, pass or fail
  }
}

async function leakScanOfDisk(file: string, run: MaskingRun, reporter: Reporter, prepared?: PreparedLeakScan): Promise<LeakScanResult> {
  const started = performance.now();
  const leak = prepared ?? {
    originals: run.originals,
    plan: { set: run.originals.patterns, wholeValues: run.originals.insideOutputs },
    content: new LogicalContent(run.originals),
    copies: [],
    publishedValuesRead: 0,
    files: emptyTally(),
  };
  const passes = leak.originals.batchCount;
  const onePass = prepared !== undefined && leak.originals.onePass;
  const progress = reporter.progress(
    `Leak scan: ${leak.originals.searched} original values in the base disk${onePass ? " (one pass)" : passes > 1 ? ` (${passes} passes, one per batch of originals)` : ""}`,
  );
  const blob = emptyTally();
  let size = 0;
  if (onePass) {
    await scanFilesOnePass(leakIndexWithContainers(prepared), [blobSource(file)], blob, leak.content.wholeValues, reporter, "sealed disk", (done) =>
      progress.update(done),
    );
  } else
    await scanInBatches(leak, blob, async (plan, pass) => {
      await scanBlob(file, plan, blob, (done) => {
        size = Math.max(size, done);
        progress.update(pass * size + done);
      });
    });
  const seconds = (performance.now() - started) / 1000;
  // Matches are judged in the data files (page structure known); the disk pass covers every byte.
  const record = { ...leakScanRecord(leak.originals, leak.publishedValuesRead, prepared ? leak.files : blob, leak.copies), bytesScanned: blob.bytesScanned };
  const mbPerSecond = blob.bytesScanned / 1048576 / Math.max(seconds, 1e-6);
  const outside = prepared ? blobOnly(blob, leak.files) : blob.unexplainedCount;
  progress.finish(
    `Leak scan: ${blob.bytesScanned} bytes, ${record.valuesSearched} values, ${record.matches - leak.files.unexplainedCount} explained, ` +
      `${leak.files.unexplainedCount + outside} residue (${mbPerSecond.toFixed(0)} MB/s)`,
  );
  if (leak.files.unexplainedCount > 0) throw residueError(leak.originals, leak.files);
  // Every byte of a data file is on the disk too, so an original found on the disk more often
  // than in the data files is stored outside them: free space or filesystem metadata.
  if (outside > 0)
    throw residueError(leak.originals, {
      ...blob,
      unexplainedCount: outside,
      unexplained: blob.unexplained.filter((h) => (blob.counts.get(h.original) ?? 0) > (leak.files.counts.get(h.original) ?? 0)),
    });
  return { ...record, hits: 0, seconds, mbPerSecond };
}

function blobOnly(blob: ResidueTally, files: ResidueTally): number {
  let extra = 0;
  for (const [original, n] of blob.counts) extra += Math.max(0, n - (files.counts.get(original) ?? 0));
  return extra;
}

function residueError(originals: OriginalSet, residue: ResidueTally): LeakFoundError {
  return new LeakFoundError(
    `the leak scan found ${residue.unexplainedCount} original value(s) stored in the final disk that the published data does not explain, so nothing was published: ` +
      `${describeResidue(originals, residue.unexplained) || "outside the data files (free space or filesystem metadata)"}. ` +
      "A dead tuple, old index entry, kept WAL segment or free space still holds them: mask every column holding these values (including copies in other tables) and build again.",
  );
}

/** The manifest's record of a scan the policy skipped. */
export function skippedLeakScan(resolved: ResolvedPolicy, run: MaskingRun): LeakScanResult {
  return {
    ...leakScanRecord(run.originals, 0, emptyTally(), []),
    valuesSearched: 0,
    probes: 0,
    mode: "none",
    reason: resolved.leakScan.reason,
    seconds: 0,
    mbPerSecond: 0,
  };
}

/**
 * The PII guard of a build without a policy: the same scan runs over every column. Personal data
 * found stops the build unless the caller publishes it unmasked on purpose, with a reason (recorded).
 */
export async function guardUnmaskedBuild(
  target: MaskingTarget,
  databases: DatabaseInfo[],
  unmasked: { reason: string } | undefined,
  reporter: Reporter,
): Promise<{ reason: string; piiCandidates: PiiCandidate[] } | undefined> {
  const piiCandidates = await target.scanUnmaskedPii(databases, []);
  if (piiCandidates.length === 0) return undefined;
  const list = describePii(piiCandidates);
  if (!unmasked) {
    throw new UnmaskedPublishError(
      `this build has no masking policy and these columns look like personal data: ${list}. Nothing was published. ` +
        'Mask them with a policy (--policy / policy:), or, if publishing them unmasked is intended, say so with --unmasked "<reason>" (action input unmasked: true and unmasked-reason).',
    );
  }
  reporter.warn(`Publishing UNMASKED personal data (${unmasked.reason}): ${list}`);
  return { reason: unmasked.reason, piiCandidates };
}
