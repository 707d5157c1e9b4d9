// Where registry credentials come from, in order: options, environment, ~/.docker/config.json.
// Credentials are never logged: every secret found is handed to reporter.secret first.
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Reporter } from "../../reporter.js";

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface CredentialSources {
  /** Explicit credentials win over everything else. */
  credentials?: RegistryCredentials;
  env?: NodeJS.ProcessEnv;
  /** Path of a docker config.json (default $DOCKER_CONFIG/config.json or ~/.docker/config.json). */
  dockerConfig?: string;
}

/** Credentials for `registry` (host[:port]), or undefined for anonymous access. */
export async function findCredentials(registry: string, sources: CredentialSources, reporter: Reporter): Promise<RegistryCredentials | undefined> {
  const env = sources.env ?? process.env;
  const found = sources.credentials ?? fromEnv(registry, env) ?? (await fromDockerConfig(registry, sources.dockerConfig ?? dockerConfigPath(env)));
  if (found) {
    reporter.secret(found.password);
    reporter.secret(Buffer.from(`${found.username}:${found.password}`).toString("base64"));
  }
  return found;
}

function fromEnv(registry: string, env: NodeJS.ProcessEnv): RegistryCredentials | undefined {
  if (env.DBCLONE_REGISTRY_PASSWORD) return { username: env.DBCLONE_REGISTRY_USER || "dbclone", password: env.DBCLONE_REGISTRY_PASSWORD };
  // GHCR takes any user name with a GITHUB_TOKEN as password.
  if (registry === "ghcr.io" && env.GITHUB_TOKEN) return { username: env.GITHUB_ACTOR || "x-access-token", password: env.GITHUB_TOKEN };
  return undefined;
}

function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  return path.join(env.DOCKER_CONFIG || path.join(os.homedir(), ".docker"), "config.json");
}

/** `auths[registry].auth` (base64 user:password) or its username/password fields. Credential helpers are not run. */
export async function fromDockerConfig(registry: string, file: string): Promise<RegistryCredentials | undefined> {
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(await readFile(file, "utf8"));
  } catch {
    return undefined; // no config, or not JSON: anonymous
  }
  const auths = config.auths ?? {};
  const keys = [registry, `https://${registry}`, `http://${registry}`, ...(registry === "docker.io" ? ["https://index.docker.io/v1/"] : [])];
  for (const key of Object.keys(auths)) {
    if (!keys.includes(key.replace(/\/+$/, "")) && !keys.includes(key)) continue;
    const entry = auths[key]!;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  }
  return undefined;
}
