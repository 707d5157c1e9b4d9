// Who may use an image: its manifest's access list (GitHub users and org/team slugs). Pure logic;
// team membership comes in as answers looked up elsewhere (github/teams.ts).
import { UsageError } from "../errors.js";

export interface AccessList {
  users?: string[];
  /** "org/team-slug" */
  teams?: string[];
}

export interface TeamRef {
  org: string;
  slug: string;
}

export type AccessDecision = { allowed: true; reason: string } | { allowed: false; reason: string };

/** An access list restricts only when it names someone: no list (or an empty one) = anyone in the repository. */
export function isRestricted(access: AccessList | undefined): boolean {
  return (access?.users?.length ?? 0) + (access?.teams?.length ?? 0) > 0;
}

export function parseTeam(team: string): TeamRef {
  const m = /^@?([A-Za-z0-9][A-Za-z0-9-]*)\/([A-Za-z0-9_.-]+)$/.exec(team.trim());
  if (!m) throw new UsageError(`access team '${team}' is not org/team-slug (e.g. acme/data-eng).`);
  return { org: m[1]!.toLowerCase(), slug: m[2]!.toLowerCase() };
}

const sameLogin = (a: string, b: string) => a.toLowerCase() === b.replace(/^@/, "").toLowerCase();

/** The teams whose membership must be looked up to decide for `actor` (none when the list decides alone). */
export function teamsToCheck(access: AccessList | undefined, actor: string | undefined): TeamRef[] {
  if (!isRestricted(access) || !actor) return [];
  if ((access!.users ?? []).some((u) => sameLogin(actor, u))) return [];
  return (access!.teams ?? []).map(parseTeam);
}

/**
 * Decide for `actor`. `memberOf` holds the looked-up answers for the teams teamsToCheck named,
 * keyed "org/slug"; a team without an answer counts as not a member (fail closed).
 */
export function decideAccess(access: AccessList | undefined, actor: string | undefined, memberOf: Record<string, boolean> = {}): AccessDecision {
  if (!isRestricted(access)) return { allowed: true, reason: "the image has no access list: anyone in the repository may use it" };
  if (!actor) return { allowed: false, reason: "the image has an access list and the actor is unknown (GITHUB_ACTOR is not set)" };
  if ((access!.users ?? []).some((u) => sameLogin(actor, u))) return { allowed: true, reason: `${actor} is listed in access.users` };
  for (const team of (access!.teams ?? []).map(parseTeam)) {
    if (memberOf[`${team.org}/${team.slug}`]) return { allowed: true, reason: `${actor} is a member of ${team.org}/${team.slug}` };
  }
  const listed = [...(access!.users ?? []).map((u) => `user ${u}`), ...(access!.teams ?? []).map((t) => `team ${t}`)].join(", ");
  return { allowed: false, reason: `${actor} is not among the image's access list (${listed})` };
}
