// The build pipeline's masking half on plain directories (no qcow2, no publish): restore a dump,
// mask, read the published data, scrub (VACUUM FULL + ANALYZE, server stopped), copy fresh, and
// run the raw-byte leak scan over the fresh data directory's files — the same functions a build calls.
import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { platformForBuild } from "../../../packages/core/src/platform/index.js";
import { maskingFor } from "../../../packages/core/src/platform/masking.js";
import { emptyTally, scanBlob } from "../../../packages/core/src/masking/leak-scan/residue-scan.js";
import {
  maskForBuild,
  scanDataFilesForLeaks,
  skippedLeakScan,
  type LeakScanResult,
  type MaskingStepResult,
} from "../../../packages/core/src/masking/build-step.js";
import { leakScanRecord } from "../../../packages/core/src/masking/leak-scan/verdict.js";
import type { MaskingPolicy } from "../../../packages/core/src/masking/policy/types.js";
import type { RunningServer } from "../../../packages/core/src/engine/types.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";
import { freePort } from "../../../packages/core/src/util/net.js";

/** The people databases' policy: names, emails and cities masked; `extra` goes under the customers table. */
export const PEOPLE_POLICY = (database = "people", extra = "") => `masking:
  onUnmaskedPii: warn
  databases:
    ${database}:
      tables:
        customers:
          columns:
            full_name: fullName
            email: email
            city: { transformer: address, part: city }
${extra}`;

export interface PipelineRun {
  masked: MaskingStepResult;
  record: LeakScanResult;
  /** The fresh data directory's root (kept until cleanup) and the unexplained hits found in it. */
  freshRoot: string;
  cleanup(): Promise<void>;
}

export interface PipelineOptions {
  dump: string;
  policy: MaskingPolicy;
  key: Buffer;
  reporter?: Reporter;
  /** Runs on the restored server before masking (e.g. statistics a data-directory source would bring). */
  beforeMask?: (server: RunningServer) => Promise<void>;
  /** Runs on the masked server after the published data was read, before scrub: plants a leak. */
  plant?: (server: RunningServer) => Promise<void>;
  /** Skip VACUUM FULL (a plant that must survive as a dead tuple). */
  scrubFull?: boolean;
  /** Also scan these extra files (e.g. a WAL segment kept by accident), as part of the fresh disk. */
  keepFiles?: (stagingRoot: string, freshRoot: string) => Promise<void>;
  /** Bytes of originals in memory (small: spilled and scanned in batches). */
  originalsBudget?: number;
}

export async function runMaskingPipeline(opts: PipelineOptions): Promise<PipelineRun> {
  const reporter = opts.reporter ?? silentReporter;
  const dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-leak-it-"));
  await chmod(dir, 0o711);
  let masked: MaskingStepResult | undefined;
  const cleanup = async () => {
    masked?.run.originals.dispose();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const { engine } = platformForBuild("postgres", path.join(dir, "home"));
    const staging = path.join(dir, "staging");
    const fresh = path.join(dir, "fresh");
    await mkdir(staging, { mode: 0o755 });
    await mkdir(fresh, { mode: 0o755 });
    await engine.restore([{ kind: "dump", path: opts.dump }], staging, reporter);
    const server = await engine.start(staging, { port: await freePort(), runDir: path.join(dir, "run") }, reporter);
    try {
      if (opts.beforeMask) await opts.beforeMask(server);
      masked = await maskForBuild(
        maskingFor("postgres", server),
        await engine.inventory(server),
        { policy: opts.policy, key: { bytes: opts.key, insecure: true }, originalsBudget: opts.originalsBudget },
        reporter,
      );
      if (opts.plant) await opts.plant(server);
    } catch (e) {
      await engine.stop(server, { fast: true });
      throw e;
    }
    await engine.scrub(server, reporter, { full: opts.scrubFull ?? true });
    await engine.copyFresh(staging, fresh, reporter);
    if (opts.keepFiles) await opts.keepFiles(staging, fresh);
    const leak = masked.leak;
    if (!leak) return { masked, record: skippedLeakScan(masked.resolved, masked.run), freshRoot: fresh, cleanup };
    await scanDataFilesForLeaks(fresh, leak);
    const record = leakScanRecord(leak.originals, leak.publishedValuesRead, leak.files, leak.copies);
    return { masked, record: { ...record, seconds: 0, mbPerSecond: 0 }, freshRoot: fresh, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** The error a pipeline run that must fail threw (undefined when it passed; what it made is removed). */
export async function pipelineFailure(opts: PipelineOptions): Promise<unknown> {
  return runMaskingPipeline(opts).then(
    async (r) => {
      await r.cleanup();
      return undefined;
    },
    (e: unknown) => e,
  );
}

/** Run `fn` on a finished pipeline, then remove what it made (server, disks, spill), pass or fail. */
export async function withPipeline<T>(p: Promise<PipelineRun>, fn: (r: PipelineRun) => Promise<T>): Promise<T> {
  const r = await p;
  try {
    return await fn(r);
  } finally {
    await r.cleanup();
  }
}

/** The raw scan of one file with a prepared plan (the blob half of the scan). */
export async function scanOneFile(file: string, masked: MaskingStepResult) {
  const tally = emptyTally();
  await scanBlob(file, masked.leak!.plan, tally);
  return tally;
}
