// Where teardownImpl finds its clone: the teardown action's inputs, or the state clone-db saved.
import * as core from "@actions/core";
import { UsageError } from "../../packages/core/src/errors.js";
import { Inputs as TeardownInputs, Outputs as TeardownOutputs } from "../teardown/src/constants.js";
import { State as CloneState } from "../clone-db/src/constants.js";
import { optionalInput, parseBoolean, parseLabels } from "./inputs.js";
import type { CloneSelection, TeardownSource } from "./teardown-impl.js";

/** The teardown action: clone-id, name, or labels (branch / pr / labels combined). */
export const inputSource: TeardownSource = {
  selection() {
    return selectionFromInputs({
      id: optionalInput(TeardownInputs.CloneId),
      name: optionalInput(TeardownInputs.Name),
      branch: optionalInput(TeardownInputs.Branch),
      pr: optionalInput(TeardownInputs.Pr),
      labels: optionalInput(TeardownInputs.Labels),
    });
  },
  report(result) {
    core.setOutput(TeardownOutputs.Removed, JSON.stringify(result.removed));
    core.setOutput(TeardownOutputs.Count, String(result.removed.length));
    core.setOutput(TeardownOutputs.Skipped, JSON.stringify(result.skipped ?? []));
    core.info(result.removed.length ? `Removed ${result.removed.join(", ")} in ${result.seconds} s.` : "No clone matched: nothing to remove.");
  },
};

export function selectionFromInputs(given: { id?: string; name?: string; branch?: string; pr?: string; labels?: string }): CloneSelection {
  const labels = parseLabels(given.labels, TeardownInputs.Labels);
  if (given.branch) labels.branch = given.branch;
  if (given.pr) labels.pr = given.pr.replace(/^#/, "");
  const hasLabels = Object.keys(labels).length > 0;
  const chosen = [given.id && TeardownInputs.CloneId, given.name && TeardownInputs.Name, hasLabels && "branch/pr/labels"].filter(Boolean);
  if (chosen.length === 0) {
    throw new UsageError(
      `Input: set one of '${TeardownInputs.CloneId}', '${TeardownInputs.Name}', '${TeardownInputs.Branch}', '${TeardownInputs.Pr}' or '${TeardownInputs.Labels}' to say which clones to remove.`,
    );
  }
  if (chosen.length > 1) throw new UsageError(`Inputs ${chosen.join(" and ")} both given: set only one way of choosing clones.`);
  if (given.id) return { id: given.id };
  if (given.name) return { name: given.name };
  return { labels };
}

/** clone-db's post step: the clone its main step made, unless `keep` was set or no clone was made. */
export const savedStateSource: TeardownSource = {
  selection() {
    const id = core.getState(CloneState.CloneId);
    if (!id) {
      core.info("No clone was created by the main step: nothing to tear down.");
      return undefined;
    }
    if (parseBoolean(core.getState(CloneState.Keep), "keep", false)) {
      core.info(`keep: true: leaving clone ${id} running until its TTL or a teardown step removes it.`);
      return undefined;
    }
    return { id };
  },
  report(result) {
    core.info(result.removed.length ? `Tore down clone ${result.removed.join(", ")} in ${result.seconds} s.` : "The clone was already gone.");
  },
};
