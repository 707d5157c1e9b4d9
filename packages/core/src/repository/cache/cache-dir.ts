// Where a runner keeps pulled images: in GitHub Actions the tool cache (kept between jobs on
// self-hosted runners, where many jobs share one), elsewhere <DBCLONE_HOME>/cache.
import path from "node:path";
import { dbcloneHome } from "../../util/paths.js";

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DBCLONE_CACHE_DIR) return path.resolve(env.DBCLONE_CACHE_DIR);
  if (env.GITHUB_ACTIONS === "true" && env.RUNNER_TOOL_CACHE) return path.join(env.RUNNER_TOOL_CACHE, "dbclone");
  return path.join(dbcloneHome(env), "cache");
}
