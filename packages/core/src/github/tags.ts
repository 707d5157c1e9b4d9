// Git tags for image versions: `dbclone/<image>/<version>` at the commit the version was built for,
// as lightweight refs created through the API (no checkout or push needed).
import type { GitHubClient } from "./client.js";
import { GitHubApiError, GitHubRateLimitError, TagConflictError } from "./errors.js";

export function versionTagName(image: string, version: string): string {
  return `dbclone/${image}/${version}`;
}

/** The sha a tag points at, or undefined when there is no such tag. */
export async function tagSha(client: GitHubClient, tag: string): Promise<string | undefined> {
  try {
    const { data } = await client.octokit.rest.git.getRef({ owner: client.owner, repo: client.repo, ref: `tags/${tag}` });
    return data.object.sha;
  } catch (e) {
    if (e instanceof GitHubApiError && e.status === 404) return undefined;
    throw e;
  }
}

/** Fail early (before a build) when the tag exists at another commit. */
export async function checkTagFree(client: GitHubClient, tag: string, sha: string): Promise<void> {
  const existing = await tagSha(client, tag);
  if (existing !== undefined && existing !== sha) throw conflict(client, tag, existing, sha);
}

export interface TagResult {
  ref: string;
  sha: string;
  /** false when the tag already pointed at this sha (a re-run). */
  created: boolean;
}

/** Create refs/tags/<tag> at `sha`; an existing tag at the same sha is fine, at another sha an error. */
export async function createVersionTag(client: GitHubClient, tag: string, sha: string): Promise<TagResult> {
  const ref = `refs/tags/${tag}`;
  try {
    await client.octokit.rest.git.createRef({ owner: client.owner, repo: client.repo, ref, sha });
    return { ref, sha, created: true };
  } catch (e) {
    if (e instanceof GitHubRateLimitError || !(e instanceof GitHubApiError) || e.status !== 422) {
      if (e instanceof GitHubApiError && !(e instanceof GitHubRateLimitError) && (e.status === 403 || e.status === 404)) {
        throw new GitHubApiError(
          `could not create tag ${tag} in ${client.owner}/${client.repo}: ${e.message} Grant the job 'permissions: contents: write'.`,
          e.status,
          { cause: e },
        );
      }
      throw e;
    }
    const existing = await tagSha(client, tag);
    if (existing === sha) return { ref, sha, created: false };
    if (existing === undefined) throw e; // 422 for another reason (e.g. an unknown sha)
    throw conflict(client, tag, existing, sha);
  }
}

function conflict(client: GitHubClient, tag: string, existing: string, sha: string): TagConflictError {
  return new TagConflictError(
    `git tag ${tag} in ${client.owner}/${client.repo} already points at ${existing.slice(0, 12)}, not at ${sha.slice(0, 12)}: ` +
      `this version was built for another commit. Choose a new version (or version: auto); delete the tag only if that version is gone.`,
  );
}
