// The job summary table for a clone. Never the password or the connection string.
import * as core from "@actions/core";
import type { CloneResult } from "../../../packages/core/src/clones/index.js";
import { formatBytes, writeSummary } from "../../shared/summary.js";

export async function writeCloneSummary(result: CloneResult): Promise<void> {
  const { clone, image } = result;
  await writeSummary(`dbclone clone ${clone.id}`, [
    ["Image", `${image.name}:${image.version}`],
    ["Digest", image.manifestDigest],
    ["Clone", `${clone.id}${clone.name ? ` (name ${clone.name})` : ""}, ${result.created ? "created" : "reused"}`],
    ["Server", `${clone.host}:${clone.port}, databases ${clone.databases.join(", ")}`],
    ["Ready in", `${result.readySeconds} s`],
    ["Child disk", formatBytes(result.childDiskBytes)],
    ["Expires", clone.expiresAt ?? "never"],
  ]);
  core.info(`Clone ${clone.id} of ${image.name}:${image.version} ready on ${clone.host}:${clone.port} in ${result.readySeconds} s.`);
}
