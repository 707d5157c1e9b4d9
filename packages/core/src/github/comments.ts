// One comment per pull request and image, updated in place: found again by a hidden HTML marker.
import type { GitHubClient } from "./client.js";
import { GitHubApiError, GitHubRateLimitError } from "./errors.js";

export function commentMarker(image: string): string {
  return `<!-- dbclone:clone-db:${image} -->`;
}

export interface UpsertedComment {
  id: number;
  created: boolean;
}

/** The body of the PR's comment carrying `marker`, if there is one. */
export async function findMarkedComment(client: GitHubClient, pr: number, marker: string): Promise<{ id: number; body: string } | undefined> {
  const pages = client.octokit.paginate.iterator(client.octokit.rest.issues.listComments, {
    owner: client.owner,
    repo: client.repo,
    issue_number: pr,
    per_page: 100,
  });
  for await (const page of pages) {
    const hit = page.data.find((c) => c.body?.includes(marker));
    if (hit) return { id: hit.id, body: hit.body ?? "" };
  }
  return undefined;
}

/** Create the PR's comment for `marker`, or replace the body of the one already there. */
export async function upsertPullRequestComment(client: GitHubClient, pr: number, marker: string, body: string): Promise<UpsertedComment> {
  const full = body.includes(marker) ? body : `${marker}\n${body}`;
  const existing = await findMarkedComment(client, pr, marker);
  if (existing) {
    await client.octokit.rest.issues.updateComment({ owner: client.owner, repo: client.repo, comment_id: existing.id, body: full });
    return { id: existing.id, created: false };
  }
  const { data } = await client.octokit.rest.issues.createComment({ owner: client.owner, repo: client.repo, issue_number: pr, body: full });
  return { id: data.id, created: true };
}

/**
 * Why a PR comment was refused, with the permission to grant — for a 403/404, which is what a fork
 * PR's read-only token or a job without `pull-requests: write` gets. Undefined for other failures.
 */
export function commentRefusal(e: unknown, pr: number): string | undefined {
  if (!(e instanceof GitHubApiError) || e instanceof GitHubRateLimitError) return undefined;
  if (e.status !== 403 && e.status !== 404) return undefined;
  return (
    `could not comment on pull request #${pr}: GitHub answered ${e.status}. ` +
    "The token may not write pull request comments: a pull request from a fork gets a read-only token, and a job needs " +
    "'permissions: pull-requests: write' (for fork PRs, comment from a pull_request_target or workflow_run workflow instead). " +
    `GitHub said: ${e.message}`
  );
}
