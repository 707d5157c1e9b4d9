// What a masked build records: the report returned to the caller and the manifest's masking
// section. Shared by the PostgreSQL and SQL Server builds so both say the same things.
import type { ImageManifest } from "../image/manifest.js";
import { policyDigest } from "../masking/build-step.js";
import type { LeakScanResult } from "../masking/leak-scan/scan-file.js";
import type { PiiCandidate } from "../masking/pii/detect.js";
import type { MaskingPolicy } from "../masking/policy/types.js";
import type { MaskingRun } from "../masking/postgres/apply-masking.js";
import type { BuildMaskingReport } from "./types.js";

export interface MaskedBuild {
  run: MaskingRun;
  leakScan: LeakScanResult;
  piiCandidates: PiiCandidate[];
  variant?: string;
}

export function maskingReport(m: MaskedBuild): BuildMaskingReport {
  const { run, leakScan } = m;
  return {
    ...(m.variant ? { variant: m.variant } : {}),
    columns: run.rules.length,
    rowsChanged: run.rowsChanged,
    maskSeconds: run.seconds,
    piiCandidates: m.piiCandidates,
    leakScan: { bytesScanned: leakScan.bytesScanned, probes: leakScan.probes, hits: leakScan.hits, seconds: leakScan.seconds, mbPerSecond: leakScan.mbPerSecond },
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
    leakScan: { bytesScanned: leakScan.bytesScanned, probes: leakScan.probes, hits: leakScan.hits },
  };
}
