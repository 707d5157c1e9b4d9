// teardown: clone-id | name | branch / pr / labels → (schema diff) → teardownClones → outputs removed, count.
import { CloneRegistry, type CloneRecord } from "../../../packages/core/src/clones/index.js";
import { dbcloneHome } from "../../../packages/core/src/util/paths.js";
import { actionGitHubClient, attachVerifiedClaims } from "../../shared/github.js";
import { pullRequestNumber } from "../../shared/github-context.js";
import { optionalInput, parseBoolean } from "../../shared/inputs.js";
import { reportSchemaDiffs } from "../../shared/pr-comment.js";
import { actionsReporter } from "../../shared/reporter.js";
import { openRepository, repositoryLocation } from "../../shared/repository.js";
import { failureMessage, runStep } from "../../shared/run-step.js";
import { teardownImpl, type CloneSelection } from "../../shared/teardown-impl.js";
import { inputSource } from "../../shared/teardown-sources.js";
import { Inputs } from "./constants.js";

void runStep(async () => {
  const reporter = actionsReporter();
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

async function selectedClones(registry: CloneRegistry, s: CloneSelection): Promise<CloneRecord[]> {
  if (s.id || s.name) {
    const one = await registry.get((s.id ?? s.name)!);
    return one && one.state === "ready" ? [one] : [];
  }
  return (await registry.findByLabels(s.labels ?? {})).filter((c) => c.state === "ready");
}
