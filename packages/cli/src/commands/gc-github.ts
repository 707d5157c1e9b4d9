// `dbclone gc --github`: the sweep of clones whose PR closed or branch went, with a client from the environment.
import { UsageError } from "../../../core/src/errors.js";
import type { Reporter } from "../../../core/src/reporter.js";

export async function sweepFromEnv(home: string, reporter: Reporter) {
  const { gitHubClientFromEnv, sweepGitHubClones } = await import("../../../core/src/github/index.js");
  if (process.env.GITHUB_TOKEN) reporter.secret(process.env.GITHUB_TOKEN);
  const client = gitHubClientFromEnv(process.env, { reporter });
  if (!client) throw new UsageError("gc --github needs a token in GITHUB_TOKEN (and the repository as owner/name in GITHUB_REPOSITORY).");
  return sweepGitHubClones({ client, home, reporter });
}
