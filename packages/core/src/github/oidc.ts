// Verify the job's GitHub Actions OIDC token (fetched by the action with core.getIDToken) so audit
// events can carry claims nobody in the job could forge: repository, workflow, run, actor, commit.
// The signature is checked against the issuer's JWKS (found through its OpenID configuration), and
// iss, aud and exp are checked; the issuer is pinned, never taken from the token itself.
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import { DbcloneError } from "../errors.js";

export const OIDC_AUDIENCE = "dbclone";
/** The issuer on github.com; GitHub Enterprise Server uses <server>/_services/token. */
export const GITHUB_COM_ISSUER = "https://token.actions.githubusercontent.com";

/** Claims copied into audit events (strings only, so the audit line stays small and stable). */
export const AUDITED_CLAIMS = ["repository", "workflow", "run_id", "run_attempt", "actor", "sha", "ref", "event_name", "job_workflow_ref"] as const;
export type VerifiedClaims = Partial<Record<(typeof AUDITED_CLAIMS)[number] | "iss" | "sub", string>>;

export class OidcVerificationError extends DbcloneError {}

/** The issuer this job's tokens must come from: from GITHUB_SERVER_URL (or DBCLONE_OIDC_ISSUER). */
export function expectedIssuer(env: NodeJS.ProcessEnv): string {
  if (env.DBCLONE_OIDC_ISSUER) return env.DBCLONE_OIDC_ISSUER.replace(/\/+$/, "");
  const server = (env.GITHUB_SERVER_URL || "https://github.com").replace(/\/+$/, "");
  return server === "https://github.com" ? GITHUB_COM_ISSUER : `${server}/_services/token`;
}

export interface VerifyOptions {
  issuer: string;
  audience?: string;
  /** Allowed clock skew in seconds (default 60). */
  clockToleranceSeconds?: number;
}

export async function verifyActionsIdToken(token: string, opts: VerifyOptions): Promise<VerifiedClaims> {
  const audience = opts.audience ?? OIDC_AUDIENCE;
  const jwksUri = await discoverJwksUri(opts.issuer);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createRemoteJWKSet(new URL(jwksUri)), {
      issuer: opts.issuer,
      audience,
      algorithms: ["RS256"],
      clockTolerance: opts.clockToleranceSeconds ?? 60,
      requiredClaims: ["exp", "iat"],
    }));
  } catch (e) {
    throw new OidcVerificationError(`the job's OIDC token did not verify against ${opts.issuer} (audience ${audience}): ${(e as Error).message}`, { cause: e });
  }
  const claims: VerifiedClaims = { iss: String(payload.iss), ...(payload.sub ? { sub: payload.sub } : {}) };
  for (const name of AUDITED_CLAIMS) if (payload[name] !== undefined) claims[name] = String(payload[name]);
  return claims;
}

async function discoverJwksUri(issuer: string): Promise<string> {
  const url = `${issuer}/.well-known/openid-configuration`;
  let config: { issuer?: string; jwks_uri?: string };
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    config = (await res.json()) as typeof config;
  } catch (e) {
    throw new OidcVerificationError(`could not read the OIDC configuration at ${url}: ${(e as Error).message}`, { cause: e });
  }
  if (config.issuer !== issuer || !config.jwks_uri) {
    throw new OidcVerificationError(`the OIDC configuration at ${url} names issuer ${config.issuer ?? "(none)"} or lacks jwks_uri; expected issuer ${issuer}.`);
  }
  return config.jwks_uri;
}
