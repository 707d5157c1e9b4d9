// Registry auth challenges: `WWW-Authenticate: Basic realm=…` or `Bearer realm=…,service=…,scope=…`.
// For Bearer we GET a token from the realm (with basic credentials, or anonymously) and retry.
import { RepositoryError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import type { RegistryCredentials } from "./credentials.js";

export interface Challenge {
  scheme: "basic" | "bearer";
  params: Record<string, string>;
}

/** Parse one WWW-Authenticate header (the first challenge in it). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== "basic" && scheme !== "bearer") return undefined;
  const params: Record<string, string> = {};
  // key="quoted, value" or key=token, separated by commas
  const re = /([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!)) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3]!;
  return { scheme, params };
}

export function basicHeader(creds: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
}

/** GET a bearer token for `scope` from the challenge's realm. */
export async function fetchBearerToken(
  challenge: Challenge,
  scope: string,
  creds: RegistryCredentials | undefined,
  doFetch: typeof fetch,
  reporter: Reporter,
): Promise<string> {
  const realm = challenge.params.realm;
  if (!realm) throw new RepositoryError("the registry asked for a bearer token but named no realm to get it from; check the registry's auth configuration");
  const url = new URL(realm);
  if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
  // The challenge's own scope is what the registry wants for this request; ours adds push where needed.
  for (const s of new Set([challenge.params.scope, ...scope.split(" ")].filter((x): x is string => !!x))) url.searchParams.append("scope", s);
  const headers: Record<string, string> = {};
  if (creds) headers.authorization = basicHeader(creds);
  let res: Response;
  try {
    res = await doFetch(url, { headers });
  } catch (e) {
    throw new RepositoryError(
      `could not reach the token service ${url.origin}${url.pathname} (${(e as Error).message}); check the network and the registry URL`,
      { cause: e },
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    const who = creds ? `user '${creds.username}'` : "anonymous access";
    throw new RepositoryError(
      `the token service ${url.origin}${url.pathname} refused ${who} for ${scope} (HTTP ${res.status}); ` +
        "set DBCLONE_REGISTRY_USER / DBCLONE_REGISTRY_PASSWORD (or GITHUB_TOKEN for ghcr.io) to credentials allowed to use this repository",
    );
  }
  const body = (await res.json()) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new RepositoryError(`the token service ${url.origin}${url.pathname} answered without a token; check the registry's auth configuration`);
  reporter.secret(token);
  return token;
}
