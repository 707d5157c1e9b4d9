// Privacy of a promoted version of a masked image. The layer holds the clone's own writes over
// masked data; the build's raw-byte leak scan needs the sampled ORIGINAL values, which only the
// build of the masked base had, so it cannot run here.
// HOOK(masking): when packages/core/src/masking exports a `leakScan(file, …)` that works without
// the build's MaskingRun (e.g. probes stored with the policy), call it here for masked sources
// and record its counts in masking.leakScan; until then the manifest says the scan was not run.
import type { SealedDisk } from "../disk/types.js";
import type { ImageManifest } from "../image/manifest.js";
import type { Reporter } from "../reporter.js";
import type { PublishedImage } from "../repository/types.js";

export interface PromotedMasking {
  masking?: ImageManifest["masking"];
  labels: Record<string, string>;
}

export async function promotedMasking(source: PublishedImage, _disk: SealedDisk, reporter: Reporter): Promise<PromotedMasking> {
  const m = source.manifest.masking;
  if (!m) return { labels: {} };
  reporter.warn(
    `${source.name}:${source.version} is masked; the promoted version keeps its policy ${m.policyDigest.slice(0, 19)}…, but its layer was not leak-scanned (no original values are available at promote time). Do not promote clones that received unmasked data.`,
  );
  return {
    // Same policy and rules: the data under the clone's writes is the masked data. No leakScan: this blob was not scanned.
    masking: { policyDigest: m.policyDigest, ...(m.variant ? { variant: m.variant } : {}), rules: m.rules, rowsChanged: 0 },
    labels: { "dbclone.leak-scan": "not-run (promoted layer)" },
  };
}
