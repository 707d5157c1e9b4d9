// build-image's GitHub steps around a build: who may publish a new version of the image (the
// newest version's access list), the version's git tag checked free before the build and created
// at GITHUB_SHA after it, and the tag recorded in the audit log.
import * as core from "@actions/core";
import { parseTeam, type AccessList } from "../../packages/core/src/access/index.js";
import { checkTagFree, createVersionTag, versionTagName, type GitHubClient, type TagResult } from "../../packages/core/src/github/index.js";
import type { PublishedImage, Repository } from "../../packages/core/src/repository/index.js";
import { runUrl } from "./github-context.js";
import { checkActorAccess } from "./github.js";
import { writeSummary } from "./summary.js";

/** The access list that governs publishing `name`: the newest published version's, if any. */
export async function currentAccess(repository: Repository, name: string): Promise<AccessList | undefined> {
  const versions = (await repository.list(name)).filter((s) => s.name === name);
  const newest = versions.at(-1);
  if (!newest) return undefined;
  return (await repository.resolve({ name, version: newest.version })).manifest.access;
}

/** The tag this version will get, after checking it is free (undefined when there is no client or sha). */
export async function plannedVersionTag(client: GitHubClient | undefined, name: string, version: string): Promise<string | undefined> {
  const sha = process.env.GITHUB_SHA;
  if (!client || !sha) return undefined;
  const tag = versionTagName(name, version);
  await checkTagFree(client, tag, sha);
  return tag;
}

export async function tagPublishedVersion(client: GitHubClient, repository: Repository, image: PublishedImage, tag: string): Promise<TagResult> {
  const result = await createVersionTag(client, tag, process.env.GITHUB_SHA!);
  await repository.audit.append({
    action: "tag",
    outcome: "success",
    image: `${image.name}:${image.version}`,
    digest: image.manifestDigest,
    commit: result.sha,
    runUrl: runUrl(),
    detail: `git ${result.ref} at ${result.sha}${result.created ? "" : " (already there)"}`,
  });
  core.info(`Tagged ${result.ref} at ${result.sha.slice(0, 12)}${result.created ? "" : " (it was already there)"}.`);
  return result;
}

/**
 * The access list for the new version: the access-users / access-teams inputs when given, else the
 * newest version's list (so leaving the inputs out never widens access). The actor must pass the
 * current list first.
 */
export async function publishAccess(
  repository: Repository,
  name: string,
  client: GitHubClient | undefined,
  given: AccessList | undefined,
): Promise<{ users: string[]; teams: string[] } | undefined> {
  const current = await currentAccess(repository, name);
  await checkActorAccess({ access: current, operation: "publish", image: name, client, repository });
  const chosen = given ?? current;
  return chosen ? { users: chosen.users ?? [], teams: chosen.teams ?? [] } : undefined;
}

/** access-users / access-teams inputs: logins and org/team slugs, one per line or comma-separated. */
export function readAccessInputs(usersText: string | undefined, teamsText: string | undefined): AccessList | undefined {
  const split = (t: string | undefined) =>
    (t ?? "")
      .split(/[\n,]/)
      .map((s) => s.trim().replace(/^@/, ""))
      .filter((s) => s && !s.startsWith("#"));
  const users = split(usersText);
  const teams = split(teamsText);
  for (const t of teams) parseTeam(t);
  return users.length || teams.length ? { users, teams } : undefined;
}

export async function writeTagSummary(image: PublishedImage, tag: TagResult): Promise<void> {
  await writeSummary(`dbclone git tag for ${image.name}:${image.version}`, [
    ["Git tag", tag.ref],
    ["Commit", tag.sha],
    ["Actor", process.env.GITHUB_ACTOR ?? "unknown"],
    ["Run", runUrl() ?? "local"],
  ]);
}
