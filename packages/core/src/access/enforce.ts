// Apply an image's access list to the actor before a clone or a publish, and audit a denial.
import { DbcloneError } from "../errors.js";
import type { AuditLog } from "../audit/log.js";
import { decideAccess, teamsToCheck, type AccessDecision, type AccessList } from "./policy.js";

/** The actor may not use this image. */
export class AccessDeniedError extends DbcloneError {}

/** Looks up whether `user` is an active member of org/slug (github/teams.ts over the API). */
export type TeamMembershipLookup = (org: string, slug: string, user: string) => Promise<boolean>;

export interface EnforceAccessOptions {
  access: AccessList | undefined;
  actor: string | undefined;
  /** What was asked, for the message and the audit event: clone or publish. */
  operation: "clone" | "publish";
  /** name:version (or name for a first publish). */
  image: string;
  digest?: string;
  /** Undefined when no API client is available: a list that names teams then denies. */
  lookupTeam?: TeamMembershipLookup;
  audit: AuditLog;
  runUrl?: string;
  commit?: string;
}

export async function enforceAccess(opts: EnforceAccessOptions): Promise<AccessDecision> {
  const memberOf: Record<string, boolean> = {};
  const teams = teamsToCheck(opts.access, opts.actor);
  let lookupProblem = "";
  for (const team of teams) {
    if (!opts.lookupTeam) {
      lookupProblem = "; team membership could not be checked without a GitHub token (set github-token to a token that can read org teams)";
      break;
    }
    memberOf[`${team.org}/${team.slug}`] = await opts.lookupTeam(team.org, team.slug, opts.actor!);
    if (memberOf[`${team.org}/${team.slug}`]) break;
  }
  const decision = decideAccess(opts.access, opts.actor, memberOf);
  if (decision.allowed) return decision;
  await opts.audit.append({
    action: "denied",
    outcome: "denied",
    actor: opts.actor,
    image: opts.image,
    digest: opts.digest,
    runUrl: opts.runUrl,
    commit: opts.commit,
    detail: `${opts.operation}: ${decision.reason}${lookupProblem}`.slice(0, 500),
  });
  throw new AccessDeniedError(
    `access denied: ${opts.actor ?? "an unknown actor"} may not ${opts.operation} ${opts.image}: ${decision.reason}${lookupProblem}. ` +
      `Ask an owner of the image to add you to its access list (build-image inputs access-users / access-teams).`,
  );
}
