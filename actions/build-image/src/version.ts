// `version: auto` → the UTC build time plus the run number, e.g. 20261127-051500-run42:
// sortable, unique per run, and traceable to the run that built it.
import { timestampVersion } from "../../../packages/core/src/util/index.js";

export function resolveVersion(input: string | undefined, env: NodeJS.ProcessEnv = process.env, now = new Date()): string {
  if (input !== undefined && input !== "auto") return input;
  const run = env.GITHUB_RUN_NUMBER;
  return run ? `${timestampVersion(now)}-run${run}` : timestampVersion(now);
}
