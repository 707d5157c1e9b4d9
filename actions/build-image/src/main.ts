// build-image: inputs → buildImage → outputs and a job summary.
import * as core from "@actions/core";
import { buildImage } from "../../../packages/core/src/build/index.js";
import { dbcloneHome } from "../../../packages/core/src/util/paths.js";
import { buildInfo, gitInfo } from "../../shared/github-context.js";
import { multilineInput, optionalInput, parseLabels, requiredInput } from "../../shared/inputs.js";
import { actionsReporter } from "../../shared/reporter.js";
import { openRepository, repositoryLocation } from "../../shared/repository.js";
import { runStep } from "../../shared/run-step.js";
import { Inputs, Outputs } from "./constants.js";
import { readSources } from "./sources.js";
import { writeBuildSummary } from "./summary.js";
import { resolveVersion } from "./version.js";

async function main(): Promise<void> {
  const name = requiredInput(Inputs.Image);
  const sources = readSources();
  const version = resolveVersion(optionalInput(Inputs.Version));
  const tags = multilineInput(Inputs.Tags).flatMap((l) => l.split(",").map((t) => t.trim()).filter(Boolean));
  const labels = parseLabels(optionalInput(Inputs.Labels), Inputs.Labels);
  const repository = await openRepository(repositoryLocation(optionalInput(Inputs.Repository)));

  const result = await buildImage({
    repository,
    name,
    version,
    sources,
    home: dbcloneHome(),
    reporter: actionsReporter(),
    tags: tags.length ? tags : ["latest"],
    labels,
    git: gitInfo(),
    build: buildInfo(),
  });

  const { image } = result;
  core.setOutput(Outputs.ImageRef, `${image.name}:${image.version}`);
  core.setOutput(Outputs.Version, image.version);
  core.setOutput(Outputs.Digest, image.manifestDigest);
  core.setOutput(Outputs.DiskDigest, image.manifest.disk.digest);
  core.setOutput(Outputs.SizeBytes, String(image.manifest.disk.sizeBytes));
  await writeBuildSummary(result);
}

void runStep(main);
