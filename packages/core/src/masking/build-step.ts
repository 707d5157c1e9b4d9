// The masking step of a build: resolve the policy against the restored data, scan what it leaves
// unmasked, mask set-based; and after sealing, the leak scan of the final disk.
import { sha256Of, canonicalJson } from "../image/digest.js";
import type { DatabaseInfo, RunningServer } from "../engine/types.js";
import type { Reporter } from "../reporter.js";
import { LeakFoundError, UnmaskedPiiError } from "./errors.js";
import type { MaskingKey } from "./key.js";
import { describeHits, scanFileForProbes, type LeakScanResult } from "./leak-scan/scan-file.js";
import type { PiiCandidate } from "./pii/detect.js";
import { checkPolicySql, checkTransformerTypes } from "./policy/check-against-schema.js";
import { resolvePolicy, type ResolvedPolicy, type TableRef } from "./policy/resolve-policy.js";
import type { MaskingPolicy } from "./policy/types.js";
import { applyMasking, type MaskingRun } from "./postgres/apply-masking.js";
import { adminConnector } from "./postgres/connector.js";
import { explainPolicySql } from "./postgres/explain-policy.js";
import { scanUnmaskedPii } from "./postgres/scan-pii.js";
import { schemaFacts } from "./postgres/schema-facts.js";

export interface MaskingOptions {
  policy: MaskingPolicy;
  key: MaskingKey;
  /** Which of the policy's variants this build publishes. */
  variant?: string;
  /** Show this table's first row before/after (the demo). */
  preview?: TableRef;
  /** Original values sampled for the leak scan (default 1200). */
  probeTarget?: number;
}

export interface MaskingStepResult {
  resolved: ResolvedPolicy;
  run: MaskingRun;
  piiCandidates: PiiCandidate[];
}

/** The digest recorded in the manifest: the policy's content (not where it was written) plus the variant. */
export function policyDigest(policy: MaskingPolicy, variant?: string): string {
  const { origin: _origin, ...content } = policy;
  return sha256Of(canonicalJson({ policy: content, variant: variant ?? null }));
}

export async function maskForBuild(server: RunningServer, databases: DatabaseInfo[], opts: MaskingOptions, reporter: Reporter): Promise<MaskingStepResult> {
  const withDb = adminConnector(server);
  const resolved = resolvePolicy(opts.policy, opts.variant, await schemaFacts(withDb, databases));
  // Against the restored schema, before any row changes: a rule that cannot work is a policy error.
  checkTransformerTypes(resolved, opts.policy);
  await checkPolicySql(resolved, opts.policy, explainPolicySql(withDb));
  const gone = new Set([...resolved.exclude, ...resolved.truncate].map((t) => `${t.database}.${t.schema}.${t.table}`));
  const remaining = databases.map((d) => ({ ...d, tables: d.tables.filter((t) => !gone.has(`${d.name}.${t.schema}.${t.name}`)) }));
  const piiCandidates = await scanUnmaskedPii(withDb, remaining, resolved.rules);
  if (piiCandidates.length) {
    const list = piiCandidates.map((c) => `${c.database}.${c.schema}.${c.table}.${c.column} (${c.reasons.join("; ")})`).join(", ");
    if (resolved.onUnmaskedPii === "fail") {
      throw new UnmaskedPiiError(`unmasked columns look like personal data: ${list}. Mask them in the policy (or set onUnmaskedPii: warn).`);
    }
    reporter.warn(`Unmasked columns look like personal data: ${list}`);
  }
  reporter.info(`Masking ${resolved.rules.length} column(s)${opts.key.insecure ? " with a throw-away key" : ""}${opts.variant ? ` for variant ${opts.variant}` : ""}`);
  const run = await applyMasking({ withDb, policy: resolved, key: opts.key.bytes, reporter, preview: opts.preview, probeTarget: opts.probeTarget });
  return { resolved, run, piiCandidates };
}

/** Scan the final disk for the sampled originals; any hit stops the build. */
export async function leakScanOrFail(file: string, run: MaskingRun, reporter: Reporter): Promise<LeakScanResult> {
  const progress = reporter.progress(`Leak scan: ${run.probes.length / 2} original values in the base disk`);
  const result = await scanFileForProbes(file, run.probes, (done, total) => progress.update(done, total));
  progress.finish(`Leak scan: ${result.bytesScanned} bytes, ${result.probes} values, ${result.hits} hits (${result.mbPerSecond.toFixed(0)} MB/s)`);
  if (result.hits > 0) {
    throw new LeakFoundError(
      `the leak scan found ${result.hits} original value(s) in the final disk, so nothing was published: ${describeHits(result)}. ` +
        "Mask every column holding these values (including copies in other tables), then build again.",
    );
  }
  return result;
}
