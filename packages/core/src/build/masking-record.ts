// What a masked build records: the report returned to the caller and the manifest's masking
// section. Shared by the PostgreSQL and SQL Server builds so both say the same things.
import type { ImageManifest } from "../image/manifest.js";
import { policyDigest } from "../masking/build-step.js";
import type { LeakScanResult } from "../masking/build-step.js";
import type { PiiCandidate } from "../masking/pii/detect.js";
import type { MaskingPolicy } from "../masking/policy/types.js";
import type { ResolvedPolicy } from "../masking/policy/resolve-policy.js";
import type { MaskingRun } from "../masking/plan.js";
import type { BuildMaskingReport } from "./types.js";

export interface MaskedBuild {
  run: MaskingRun;
  leakScan: LeakScanResult;
  piiCandidates: PiiCandidate[];
  variant?: string;
  notPersonal?: { column: string; reason: string }[];
}

export function maskingReport(m: MaskedBuild): BuildMaskingReport {
  const { run, leakScan } = m;
  return {
    ...(m.variant ? { variant: m.variant } : {}),
    columns: run.rules.length,
    rowsChanged: run.rowsChanged,
    maskSeconds: run.seconds,
    piiCandidates: m.piiCandidates,
    leakScan,
    ...(run.preview ? { preview: run.preview } : {}),
  };
}

export function maskingManifest(m: MaskedBuild, policy: MaskingPolicy): NonNullable<ImageManifest["masking"]> {
  const { run, leakScan } = m;
  return {
    policyDigest: policyDigest(policy, m.variant),
    ...(m.variant ? { variant: m.variant } : {}),
    rules: run.rules,
    rowsChanged: run.rowsChanged,
    scan: { piiCandidates: m.piiCandidates },
    ...(m.notPersonal?.length ? { notPersonal: m.notPersonal } : {}),
    leakScan: (({ seconds: _s, mbPerSecond: _m, ...kept }) => kept)(leakScan),
  };
}

export function notPersonalRecord(resolved: ResolvedPolicy): { column: string; reason: string }[] {
  return resolved.notPersonal.map((n) => ({ column: `${n.database}.${n.schema}.${n.table}.${n.column}`, reason: n.reason }));
}
