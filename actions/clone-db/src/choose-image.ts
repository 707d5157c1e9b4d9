// Which published image to clone: the reference as given, or (version: auto) the newest version
// built at this commit or its nearest ancestor, falling back to latest with a notice.
import * as core from "@actions/core";
import { resolveAutoVersion, type GitHubClient } from "../../../packages/core/src/github/index.js";
import { parseImageRef } from "../../../packages/core/src/image/index.js";
import type { Reporter } from "../../../packages/core/src/reporter.js";
import type { PublishedImage, Repository } from "../../../packages/core/src/repository/index.js";
import type { CloneInputs } from "./options.js";

export interface ChosenImage {
  image: PublishedImage;
  /** How version auto chose it, for the summary and the PR comment. */
  how?: string;
}

export async function chooseImage(repository: Repository, github: GitHubClient | undefined, inputs: CloneInputs, reporter: Reporter): Promise<ChosenImage> {
  if (!inputs.autoVersion) return { image: await repository.resolve(parseImageRef(inputs.ref)) };
  const sha = process.env.GITHUB_SHA;
  if (!sha) core.notice("version auto: GITHUB_SHA is not set; using latest.");
  const result = await resolveAutoVersion(sha ? github : undefined, {
    repository,
    image: parseImageRef(inputs.ref).name,
    sha: sha ?? "",
    gitRepository: process.env.GITHUB_REPOSITORY,
    reporter,
  });
  const how =
    result.matched === "commit"
      ? `version auto: built at this commit`
      : result.matched === "ancestor"
        ? `version auto: built at ancestor ${result.commit!.slice(0, 12)}, ${result.distance} commit(s) back`
        : "version auto: no version at this commit or its ancestors, so latest";
  if (result.matched === "latest") core.notice(`${how} (${result.image.version}).`);
  else core.info(`${how}: ${result.image.name}:${result.image.version}.`);
  return { image: result.image, how };
}
