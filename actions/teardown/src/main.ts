// teardown: clone-id | name | branch / pr / labels → (schema diff) → teardownClones → outputs removed, count;
// or sweep: true → the GitHub API says which PRs are closed and branches gone → those clones go.
import * as core from "@actions/core";
import { CloneRegistry, matchesLabels, type CloneRecord } from "../../../packages/core/src/clones/index.js";
import { UsageError } from "../../../packages/core/src/errors.js";
import { sweepGitHubClones } from "../../../packages/core/src/github/index.js";
import { dbcloneHome } from "../../../packages/core/src/util/index.js";
import { actionGitHubClient, attachVerifiedClaims } from "../../shared/github.js";
import { pullRequestNumber, repositoryScope } from "../../shared/github-context.js";
import { optionalInput, parseBoolean } from "../../shared/inputs.js";
import { reportSchemaDiffs } from "../../shared/pr-comment.js";
import { actionsReporter } from "../../shared/reporter.js";
import { openRepository, repositoryLocation } from "../../shared/repository.js";
import { failureMessage, runStep } from "../../shared/run-step.js";
import { teardownImpl, type CloneSelection } from "../../shared/teardown-impl.js";
import { inputSource } from "../../shared/teardown-sources.js";
import { Inputs, Outputs } from "./constants.js";

void runStep(async () => {
  const reporter = actionsReporter();
  if (parseBoolean(optionalInput(Inputs.Sweep), Inputs.Sweep, false)) return sweep();
  const selection = inputSource.selection();
  if (selection && parseBoolean(optionalInput(Inputs.SchemaDiff), Inputs.SchemaDiff, false)) {
    try {
      const home = dbcloneHome();
      const clones = await selectedClones(new CloneRegistry(home), selection);
      const repository = await openRepository(repositoryLocation(optionalInput(Inputs.Repository)));
      await attachVerifiedClaims(repository);
      const client = actionGitHubClient(reporter, "the schema diff PR comment");
      const pr = optionalInput(Inputs.Pr)?.replace(/^#/, "") ?? pullRequestNumber();
      await reportSchemaDiffs(clones, { client, pr, repository, home, reporter });
    } catch (e) {
      // The clones go regardless: a failed diff must not keep them alive.
      reporter.warn(`schema diff skipped: ${failureMessage(e)}`);
    }
  }
  await teardownImpl({ selection: () => selection, report: inputSource.report }, reporter);
});

/** sweep: true — this runner's clones of this repository whose PR closed or branch went. */
async function sweep(): Promise<void> {
  const chosen = [Inputs.CloneId, Inputs.Name, Inputs.Branch, Inputs.Pr, Inputs.Labels].filter((i) => optionalInput(i) !== undefined);
  if (chosen.length) throw new UsageError(`Input '${Inputs.Sweep}: true' chooses clones itself: remove ${chosen.map((i) => `'${i}'`).join(", ")}.`);
  const reporter = actionsReporter();
  const client = actionGitHubClient(reporter, "the sweep");
  if (!client) throw new UsageError(`Input '${Inputs.Sweep}: true' needs the GitHub API: set github-token or GITHUB_TOKEN.`);
  const result = await sweepGitHubClones({ client, home: dbcloneHome(), reporter });
  core.setOutput(Outputs.Removed, JSON.stringify(result.removed));
  core.setOutput(Outputs.Count, String(result.removed.length));
  core.setOutput(Outputs.Skipped, JSON.stringify(result.unknown));
  core.info(`Sweep: removed ${result.removed.length}, kept ${result.kept.length} (PR open or branch present), unsure ${result.unknown.length}.`);
}

/** The clones the teardown will remove: ready ones of this repository (the diff must not read another's). */
async function selectedClones(registry: CloneRegistry, s: CloneSelection): Promise<CloneRecord[]> {
  const scope = repositoryScope();
  const found = s.id || s.name ? [await registry.get((s.id ?? s.name)!)].filter((c) => c !== undefined) : await registry.findByLabels(s.labels ?? {});
  return found.filter((c) => c.state === "ready" && (!scope || matchesLabels(c, scope)));
}
