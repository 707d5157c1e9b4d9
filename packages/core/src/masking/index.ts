// Public surface of masking: policy (YAML + JSON Schema), keyed transformers, PII scan, leak scan.
export * from "./policy/types.js";
export { maskingPolicySchema } from "./policy/schema.js";
export { loadPolicyFile, parsePolicy } from "./policy/load-policy.js";
export { PolicyError } from "./policy/policy-error.js";
export { checkPolicySql, checkTransformerTypes, typeClass, type PolicySqlCheck } from "./policy/check-against-schema.js";
export { resolvePolicy, type ResolvedPolicy, type SchemaFacts, type TableRef, type ColumnRef } from "./policy/resolve-policy.js";
export { keyedDigest, DIGEST_DOMAIN } from "./keyed-digest.js";
export { resolveMaskingKey, MASKING_KEY_ENV, type MaskingKey } from "./key.js";
export { mapFamily, maskValue, defaultFamily } from "./transformers/family-mapping.js";
export { valueTransformers } from "./transformers/value-transformers.js";
export { isLuhnValid, isValidIban, luhnCheckDigit, ibanCheckDigits } from "./transformers/checksums.js";
export { detectPii, type PiiCandidate, type PiiKind } from "./pii/detect.js";
export { PatternSet, PatternSetBuilder, StreamScanner, WINDOW, type PatternMatch } from "./leak-scan/pattern-set.js";
export {
  collectOriginals,
  tagOfOriginal,
  isHighCardinality,
  HIGH_CARDINALITY_RATIO,
  type OriginalSet,
  type OriginalSource,
  type OriginalColumn,
} from "./leak-scan/originals.js";
export { LogicalContent, textLeaves, storedForm, type ContainerKind } from "./leak-scan/explain.js";
export { scanBlob, scanDataFiles, emptyTally, type ResidueTally, type ResidueHit } from "./leak-scan/residue-scan.js";
// The one-pass scan of spilled originals, for the leakindex bench (memory against the originals' count).
export { WindowIndex, partitionsFor } from "./leak-scan/window-index.js";
export { scanFilesOnePass } from "./leak-scan/one-pass.js";
export { bytesPerOriginal } from "./leak-scan/bucket-dedupe.js";
export { ORIGINALS_BUDGET } from "./leak-scan/originals-collector.js";
export { judgeCopies, type CopyRecord, type LeakScanRecord } from "./leak-scan/verdict.js";
export {
  maskForBuild,
  guardUnmaskedBuild,
  leakScanOrFail,
  prepareLeakScan,
  scanDataFilesForLeaks,
  skippedLeakScan,
  policyDigest,
  describePii,
  type MaskingOptions,
  type MaskingStepResult,
  type PreparedLeakScan,
  type LeakScanResult,
} from "./build-step.js";
export { checkFamilies, isValueRule, tableKey, type MaskingRun, type AppliedRule } from "./plan.js";
export type { MaskingTarget } from "./port.js";
export { UnmaskedPiiError, LeakFoundError, NothingToScanError, UnmaskedPublishError, UnscannableDatabaseError } from "./errors.js";
export { variantImageName, splitVariantName, variantReference, variantsToBuild } from "./variants.js";
// The masking bench drives the mapping pool on its own.
export { defaultJobs, startMappingPool } from "./transformers/mapping-pool.js";
