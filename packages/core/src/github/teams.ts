// Team membership through the API (GET /orgs/{org}/teams/{team_slug}/memberships/{username}).
// Needs a token that can read the org's teams: the workflow's GITHUB_TOKEN cannot; use a GitHub App
// token or a PAT with read:org, passed as github-token.
import type { TeamMembershipLookup } from "../access/enforce.js";
import type { GitHubClient } from "./client.js";
import { GitHubApiError, GitHubRateLimitError } from "./errors.js";

/** Active member → true; 404 (not a member, or the team is hidden from the token) → false. */
export async function isTeamMember(client: GitHubClient, org: string, slug: string, user: string): Promise<boolean> {
  try {
    const { data } = await client.octokit.rest.teams.getMembershipForUserInOrg({ org, team_slug: slug, username: user });
    return data.state === "active";
  } catch (e) {
    if (e instanceof GitHubRateLimitError) throw e;
    if (e instanceof GitHubApiError && e.status === 404) return false;
    if (e instanceof GitHubApiError && (e.status === 403 || e.status === 401)) {
      throw new GitHubApiError(
        `could not check whether ${user} is in team ${org}/${slug}: ${e.message} The token needs read access to the org's teams (read:org).`,
        e.status,
        { cause: e },
      );
    }
    throw e;
  }
}

export function teamLookup(client: GitHubClient): TeamMembershipLookup {
  return (org, slug, user) => isTeamMember(client, org, slug, user);
}
