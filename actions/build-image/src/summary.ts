// The job summary table for a built image.
import * as core from "@actions/core";
import type { BuildResult } from "../../../packages/core/src/build/index.js";
import { formatBytes, writeSummary } from "../../shared/summary.js";

export async function writeBuildSummary(result: BuildResult): Promise<void> {
  const { image, timings } = result;
  await writeSummary(`dbclone image ${image.name}:${image.version}`, [
    ["Image", `${image.name}:${image.version}`],
    ["Manifest digest", image.manifestDigest],
    ["Disk digest", image.manifest.disk.digest],
    ["Disk size", formatBytes(image.manifest.disk.sizeBytes)],
    ["Databases", image.manifest.databases.map((d) => d.name).join(", ")],
    ["Restore", `${timings.restoreSeconds} s`],
    ["Seal", `${timings.sealSeconds} s`],
    ["Publish", `${timings.publishSeconds} s`],
    ["Total", `${timings.totalSeconds} s`],
    ...(result.masking
      ? ([
          ["Masking", `${result.masking.variant ? `variant ${result.masking.variant}: ` : ""}${result.masking.columns} columns, ${result.masking.rowsChanged} rows, ${result.masking.maskSeconds.toFixed(1)} s`],
          ["Leak scan", `${result.masking.leakScan.probes} original values in ${formatBytes(result.masking.leakScan.bytesScanned)}: ${result.masking.leakScan.hits} hits`],
          ["Unmasked PII candidates", result.masking.piiCandidates.map((c) => `${c.table}.${c.column}`).join(", ") || "none"],
        ] as [string, string][])
      : []),
  ]);
  core.info(`Published ${image.name}:${image.version} (${image.manifestDigest}) in ${timings.totalSeconds} s.`);
}
