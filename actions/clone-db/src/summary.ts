// The job summary table for a clone. Never the password or the connection string.
import * as core from "@actions/core";
import type { CloneResult } from "../../../packages/core/src/clones/index.js";
import { formatBytes, writeSummary } from "../../shared/summary.js";

export async function writeCloneSummary(result: CloneResult, chosen?: string): Promise<void> {
  const { clone, image } = result;
  const held = `${clone.image.name}:${clone.image.version}`;
  const runner = clone.labels.runner ? ` on runner ${clone.labels.runner}` : "";
  await writeSummary(`dbclone clone ${clone.id}`, [
    ["Image", `${held}${chosen && !result.newerImage ? ` (${chosen})` : ""}`],
    ...(result.newerImage
      ? [
          [
            "Newer version",
            `${image.name}:${result.newerImage.version} exists; this named clone kept its data (on-image-change: recreate or reset: true to take it)`,
          ] as [string, string],
        ]
      : []),
    ...(result.replaced ? [["Replaced", `${result.replaced.id}: ${result.replaced.reason}`] as [string, string]] : []),
    ["Digest", clone.image.manifestDigest],
    ["Clone", `${clone.id}${clone.name ? ` (name ${clone.name})` : ""}, ${result.created ? "created" : "reused"}${runner}`],
    ["Server", `${clone.host}:${clone.port}, databases ${clone.databases.join(", ")}`],
    ["Ready in", `${result.readySeconds} s`],
    ["Child disk", formatBytes(result.childDiskBytes ?? 0)],
    ["Expires", clone.expiresAt ?? "never"],
    ...(image.manifest.git?.commit ? [["Built at commit", image.manifest.git.commit] as [string, string]] : []),
    ...(image.manifest.access ? [["Access", describeAccess(image.manifest.access)] as [string, string]] : []),
  ]);
  core.info(`Clone ${clone.id} of ${held} ready on ${clone.host}:${clone.port}${runner} in ${result.readySeconds} s.`);
}

function describeAccess(access: { users?: string[]; teams?: string[] }): string {
  const names = [...(access.users ?? []), ...(access.teams ?? [])];
  return names.length ? names.join(", ") : "anyone in the repository";
}
