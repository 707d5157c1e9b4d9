// clone-db: inputs → (version auto, access check) → createClone → outputs (secrets masked first),
// state for the post step, summary, and the optional PR comment.
import * as core from "@actions/core";
import { createClone } from "../../../packages/core/src/clones/index.js";
import { actionGitHubClient, attachVerifiedClaims, checkActorAccess } from "../../shared/github.js";
import { postCloneComment } from "../../shared/pr-comment.js";
import { actionsReporter } from "../../shared/reporter.js";
import { openRepository } from "../../shared/repository.js";
import { runStep } from "../../shared/run-step.js";
import { chooseImage } from "./choose-image.js";
import { Inputs, State } from "./constants.js";
import { refuseUnmaskedForEvent } from "../../../packages/core/src/image/index.js";
import { readCloneInputs } from "./options.js";
import { exportConnectionEnv, setCloneOutputs } from "./outputs.js";
import { writeCloneSummary } from "./summary.js";

async function main(): Promise<void> {
  const inputs = readCloneInputs();
  core.saveState(State.Keep, String(inputs.keep));
  const reporter = actionsReporter();
  const repository = await openRepository(inputs.repositoryLocation);
  await attachVerifiedClaims(repository);
  const github = actionGitHubClient(reporter, "version auto by commit, team access checks and the PR comment");

  const chosen = await chooseImage(repository, github, inputs, reporter);
  const { image } = chosen;
  await checkActorAccess({
    access: image.manifest.access,
    operation: "clone",
    image: `${image.name}:${image.version}`,
    digest: image.manifestDigest,
    client: github,
    repository,
  });
  refuseUnmaskedForEvent(image.manifest, process.env.GITHUB_EVENT_NAME, inputs.allowUnmasked, Inputs.AllowUnmasked);

  const result = await createClone({
    repository,
    // The digest pins exactly the image that was checked, whatever a tag does meanwhile.
    ref: `${image.name}@${image.manifestDigest}`,
    home: inputs.home,
    reporter,
    name: inputs.name,
    ttlSeconds: inputs.ttlSeconds,
    labels: inputs.labels,
    durability: inputs.durability,
    timeoutMs: inputs.timeoutMs,
    reset: inputs.reset,
    onImageChange: inputs.onImageChange,
    scope: inputs.scope,
    database: inputs.database,
    runtime: inputs.runtime,
    disk: inputs.disk,
    docker: inputs.docker,
  });

  core.saveState(State.CloneId, result.clone.id);
  core.saveState(State.ImageName, image.name);
  setCloneOutputs(result, inputs.database);
  if (inputs.exportEnv) exportConnectionEnv(result, inputs.database);
  await writeCloneSummary(result, chosen.how);
  if (inputs.comment) await postCloneComment(github, result, chosen.how, inputs.database);
}

void runStep(main);
