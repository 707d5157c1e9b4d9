// teardown: clone-id | name | branch / pr / labels → teardownClones → outputs removed, count.
import { actionsReporter } from "../../shared/reporter.js";
import { runStep } from "../../shared/run-step.js";
import { teardownImpl } from "../../shared/teardown-impl.js";
import { inputSource } from "../../shared/teardown-sources.js";

void runStep(async () => {
  await teardownImpl(inputSource, actionsReporter());
});
