// build-image: inputs → buildImage → outputs and a job summary.
import * as core from "@actions/core";
import { buildImageVariants } from "../../../packages/core/src/build/index.js";
import { dbcloneHome } from "../../../packages/core/src/util/index.js";
import { buildInfo, gitInfo } from "../../shared/github-context.js";
import { multilineInput, optionalInput, parseLabels, requiredInput } from "../../shared/inputs.js";
import { actionsReporter } from "../../shared/reporter.js";
import { openRepository, repositoryLocation } from "../../shared/repository.js";
import { runStep } from "../../shared/run-step.js";
import { Inputs, Outputs } from "./constants.js";
import { readSources } from "./sources.js";
import { writeBuildSummary } from "./summary.js";
import { resolveVersion } from "./version.js";
import { readMaskingInputs, readUnmaskedInput } from "./masking.js";
import { actionGitHubClient, attachVerifiedClaims } from "../../shared/github.js";
import { plannedVersionTag, publishAccess, readAccessInputs, tagPublishedVersion, writeTagSummary } from "../../shared/publish-github.js";

async function main(): Promise<void> {
  const name = requiredInput(Inputs.Image);
  const sources = readSources();
  const version = resolveVersion(optionalInput(Inputs.Version));
  const tags = multilineInput(Inputs.Tags).flatMap((l) =>
    l
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean),
  );
  const labels = parseLabels(optionalInput(Inputs.Labels), Inputs.Labels);
  const repository = await openRepository(repositoryLocation(optionalInput(Inputs.Repository)));
  // GitHub: verified OIDC claims on every audit event, the actor's right to publish, the git tag.
  await attachVerifiedClaims(repository);
  const github = actionGitHubClient(actionsReporter(), "tagging the version in git");
  const access = await publishAccess(repository, name, github, readAccessInputs(optionalInput(Inputs.AccessUsers), optionalInput(Inputs.AccessTeams)));

  const masking = await readMaskingInputs();
  const unmasked = readUnmaskedInput(masking !== undefined);
  const results: { ref: string; result: Awaited<ReturnType<typeof buildImageVariants>>[number] }[] = [];
  const gitTags = new Map<string | undefined, string | undefined>();
  // Two or more variants restore the sources once and mask a child of that staging disk each.
  await buildImageVariants(
    {
      repository,
      name,
      version,
      sources,
      home: dbcloneHome(),
      reporter: actionsReporter(),
      tags: tags.length ? tags : ["latest"],
      labels,
      ...(access ? { access } : {}),
      build: buildInfo(),
      ...(masking ? { masking: { policy: masking.policy, key: masking.key, ...(masking.jobs ? { jobs: masking.jobs } : {}) } } : {}),
      ...(unmasked ? { unmasked } : {}),
    },
    masking?.variants ?? [undefined],
    {
      async before(variant) {
        const gitTag = await plannedVersionTag(github, `${name}${variant ? `+${variant}` : ""}`, version);
        gitTags.set(variant, gitTag);
        return { git: { ...gitInfo(), ...(gitTag ? { tag: gitTag } : {}) } };
      },
      async after(variant, result) {
        const gitTag = gitTags.get(variant);
        results.push({ ref: `${name}${variant ? `+${variant}` : ""}:${result.image.version}`, result });
        await writeBuildSummary(result);
        if (github && gitTag) await writeTagSummary(result.image, await tagPublishedVersion(github, repository, result.image, gitTag));
      },
    },
  );

  // The first published image fills the single-image outputs; image-refs lists them all.
  const { ref, result } = results[0]!;
  const { image } = result;
  core.setOutput(Outputs.ImageRef, ref);
  core.setOutput(Outputs.Version, image.version);
  core.setOutput(Outputs.Digest, image.manifestDigest);
  core.setOutput(Outputs.DiskDigest, image.manifest.disk.digest);
  core.setOutput(Outputs.SizeBytes, String(image.manifest.disk.sizeBytes));
  core.setOutput(Outputs.ImageRefs, results.map((r) => r.ref).join("\n"));
  if (result.masking) core.setOutput(Outputs.LeakScanHits, String(results.reduce((n, r) => n + (r.result.masking?.leakScan.hits ?? 0), 0)));
}

void runStep(main);
