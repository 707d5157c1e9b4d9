// The actions' side of the GitHub integration: the API client (github-token input, else
// GITHUB_TOKEN), the job's verified OIDC claims for the audit log, and the access check.
import * as core from "@actions/core";
import { enforceAccess, type AccessList } from "../../packages/core/src/access/index.js";
import {
  attachAuditClaims,
  expectedIssuer,
  gitHubClientFromEnv,
  OIDC_AUDIENCE,
  teamLookup,
  verifyActionsIdToken,
  type GitHubClient,
  type VerifiedClaims,
} from "../../packages/core/src/github/index.js";
import type { Reporter } from "../../packages/core/src/reporter.js";
import type { Repository } from "../../packages/core/src/repository/index.js";
import { runUrl } from "./github-context.js";
import { optionalInput } from "./inputs.js";

export const GITHUB_TOKEN_INPUT = "github-token";

/** The API client, or undefined (with a note) when neither github-token nor GITHUB_TOKEN is set. */
export function actionGitHubClient(reporter: Reporter, why: string): GitHubClient | undefined {
  const token = optionalInput(GITHUB_TOKEN_INPUT);
  if (token) core.setSecret(token);
  const client = gitHubClientFromEnv(process.env, { token, reporter });
  if (!client) core.info(`No github-token or GITHUB_TOKEN: ${why} skipped (see docs/github.md).`);
  return client;
}

/**
 * When the job may mint an OIDC token (permissions: id-token: write), fetch one for audience
 * 'dbclone', verify it, and make every audit event of `repository` carry its claims. A token that
 * does not verify fails the step: audit claims must be true or absent.
 */
export async function attachVerifiedClaims(repository: Repository): Promise<VerifiedClaims | undefined> {
  const claims = await jobClaims();
  if (!claims) return undefined;
  attachAuditClaims(repository, claims as Record<string, string>);
  core.info(`Audit events carry the verified OIDC claims of run ${claims.run_id ?? "?"} (${claims.repository ?? "?"}, ${claims.actor ?? "?"}).`);
  return claims;
}

/** Check GITHUB_ACTOR against an image's access list; a denial is audited and thrown. */
export async function checkActorAccess(opts: {
  access: AccessList | undefined;
  operation: "clone" | "publish";
  image: string;
  digest?: string;
  client: GitHubClient | undefined;
  repository: Repository;
}): Promise<void> {
  const decision = await enforceAccess({
    access: opts.access,
    actor: process.env.GITHUB_ACTOR,
    operation: opts.operation,
    image: opts.image,
    digest: opts.digest,
    lookupTeam: opts.client ? teamLookup(opts.client) : undefined,
    audit: opts.repository.audit,
    runUrl: runUrl(),
    commit: process.env.GITHUB_SHA,
  });
  core.info(`Access: ${decision.reason}.`);
}

let cachedClaims: Promise<VerifiedClaims | undefined> | undefined;

/** The job's verified OIDC claims, fetched once per step; undefined without id-token: write. */
export function jobClaims(): Promise<VerifiedClaims | undefined> {
  if (!process.env.ACTIONS_ID_TOKEN_REQUEST_URL || !process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) return Promise.resolve(undefined);
  cachedClaims ??= core
    .getIDToken(OIDC_AUDIENCE)
    .then((token) => verifyActionsIdToken(token, { issuer: expectedIssuer(process.env), audience: OIDC_AUDIENCE }));
  return cachedClaims;
}
