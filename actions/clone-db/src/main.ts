// clone-db: inputs → createClone → outputs (secrets masked first), state for the post step, summary.
import * as core from "@actions/core";
import { createClone } from "../../../packages/core/src/clones/index.js";
import { actionsReporter } from "../../shared/reporter.js";
import { openRepository } from "../../shared/repository.js";
import { runStep } from "../../shared/run-step.js";
import { Outputs, State } from "./constants.js";
import { readCloneInputs } from "./options.js";
import { writeCloneSummary } from "./summary.js";

async function main(): Promise<void> {
  const inputs = readCloneInputs();
  core.saveState(State.Keep, String(inputs.keep));
  const repository = await openRepository(inputs.repositoryLocation);

  const result = await createClone({
    repository,
    ref: inputs.ref,
    home: inputs.home,
    reporter: actionsReporter(),
    name: inputs.name,
    ttlSeconds: inputs.ttlSeconds,
    labels: inputs.labels,
    durability: inputs.durability,
    timeoutMs: inputs.timeoutMs,
    reset: inputs.reset,
  });

  const { clone, credentials, image } = result;
  core.saveState(State.CloneId, clone.id);
  // Mask before the values reach any output, log line or later step.
  core.setSecret(credentials.password);
  core.setSecret(encodeURIComponent(credentials.password));
  core.setSecret(credentials.connectionString);
  core.setOutput(Outputs.CloneId, clone.id);
  core.setOutput(Outputs.Host, credentials.host);
  core.setOutput(Outputs.Port, String(credentials.port));
  core.setOutput(Outputs.User, credentials.user);
  core.setOutput(Outputs.Password, credentials.password);
  core.setOutput(Outputs.Database, credentials.databases[0] ?? "");
  core.setOutput(Outputs.Databases, JSON.stringify(credentials.databases));
  core.setOutput(Outputs.ConnectionString, credentials.connectionString);
  core.setOutput(Outputs.ImageDigest, image.manifestDigest);
  core.setOutput(Outputs.Created, String(result.created));
  core.setOutput(Outputs.ReadySeconds, String(result.readySeconds));
  await writeCloneSummary(result);
}

void runStep(main);
