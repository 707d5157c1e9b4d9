// clone-db post step (post-if: always()): the same teardown as the teardown action, for the clone
// the main step saved in state — unless keep was set. With schema-diff: true, the clone's schema is
// compared with its image's first, and the diff added to the PR comment.
import { CloneRegistry } from "../../../packages/core/src/clones/index.js";
import { dbcloneHome } from "../../../packages/core/src/util/index.js";
import { actionGitHubClient, attachVerifiedClaims } from "../../shared/github.js";
import { pullRequestNumber } from "../../shared/github-context.js";
import { optionalInput, parseBoolean } from "../../shared/inputs.js";
import { reportSchemaDiffs } from "../../shared/pr-comment.js";
import { actionsReporter } from "../../shared/reporter.js";
import { openRepository, repositoryLocation } from "../../shared/repository.js";
import { failureMessage, runStep } from "../../shared/run-step.js";
import { teardownImpl } from "../../shared/teardown-impl.js";
import { savedStateSource } from "../../shared/teardown-sources.js";
import { Inputs } from "./constants.js";

void runStep(async () => {
  const reporter = actionsReporter();
  const selection = savedStateSource.selection();
  if (selection?.id && parseBoolean(optionalInput(Inputs.SchemaDiff), Inputs.SchemaDiff, false)) {
    const home = dbcloneHome();
    const clone = await new CloneRegistry(home).get(selection.id);
    // A diff that fails must not keep the clone alive: warn, then tear down regardless.
    if (clone) {
      try {
        const repository = await openRepository(repositoryLocation(optionalInput(Inputs.Repository)));
        await attachVerifiedClaims(repository);
        const client = actionGitHubClient(reporter, "the schema diff PR comment");
        await reportSchemaDiffs([clone], { client, pr: pullRequestNumber(), repository, home, reporter });
      } catch (e) {
        reporter.warn(`schema diff skipped: ${failureMessage(e)}`);
      }
    }
  }
  await teardownImpl({ selection: () => selection, report: savedStateSource.report }, reporter);
});
