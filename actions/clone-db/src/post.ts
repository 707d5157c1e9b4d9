// clone-db post step (post-if: always()): the same teardown as the teardown action, for the clone
// the main step saved in state — unless keep was set.
import { actionsReporter } from "../../shared/reporter.js";
import { runStep } from "../../shared/run-step.js";
import { teardownImpl } from "../../shared/teardown-impl.js";
import { savedStateSource } from "../../shared/teardown-sources.js";

void runStep(async () => {
  await teardownImpl(savedStateSource, actionsReporter());
});
