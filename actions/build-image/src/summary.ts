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
    ...(image.manifest.unmasked
      ? ([
          ["⚠️ UNMASKED", `published with personal data on purpose: ${image.manifest.unmasked.reason}`],
          ["Personal data", image.manifest.unmasked.piiCandidates.map((c) => `${String(c.table)}.${String(c.column)}`).join(", ")],
        ] as [string, string][])
      : []),
    ...(result.masking
      ? ([
          [
            "Masking",
            `${result.masking.variant ? `variant ${result.masking.variant}: ` : ""}${result.masking.columns} columns, ${result.masking.rowsChanged} rows, ${result.masking.maskSeconds.toFixed(1)} s`,
          ],
          ["Leak scan", leakScanCell(result.masking.leakScan)],
          ["Unmasked PII candidates", result.masking.piiCandidates.map((c) => `${c.table}.${c.column}`).join(", ") || "none"],
        ] as [string, string][])
      : []),
  ]);
  core.info(`Published ${image.name}:${image.version} (${image.manifestDigest}) in ${timings.totalSeconds} s.`);
}

function leakScanCell(l: NonNullable<BuildResult["masking"]>["leakScan"]): string {
  if (l.mode === "none") return `skipped by the policy: ${l.reason}`;
  const copies = l.copies.length ? `; copies: ${l.copies.map((c) => `${c.column} (${c.verdict})`).join(", ")}` : "";
  return `${l.valuesSearched} of ${l.valuesTotal} original values searched in ${formatBytes(l.bytesScanned)}: ${l.matches - l.hits} present legitimately, ${l.hits} hits${copies}`;
}
