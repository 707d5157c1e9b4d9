// The GitHub API client core takes as a parameter: Octokit pointed at GITHUB_API_URL (so GitHub
// Enterprise Server works), for the repository GITHUB_REPOSITORY, with retries and clear errors.
import { Octokit } from "@octokit/rest";
import { UsageError } from "../errors.js";
import type { Reporter } from "../reporter.js";
import { retryingRequest, type RetryPolicy } from "./retry.js";

export interface GitHubClient {
  octokit: Octokit;
  owner: string;
  repo: string;
  /** Base URL of the API, for messages. */
  apiUrl: string;
}

export interface GitHubClientOptions {
  token: string;
  /** Default https://api.github.com; on GHES https://HOST/api/v3. */
  apiUrl?: string;
  /** owner/name */
  repository: string;
  reporter?: Reporter;
  retry?: RetryPolicy;
}

export function createGitHubClient(opts: GitHubClientOptions): GitHubClient {
  const [owner, repo, extra] = opts.repository.split("/");
  if (!owner || !repo || extra !== undefined) throw new UsageError(`GITHUB_REPOSITORY '${opts.repository}' is not owner/name.`);
  const apiUrl = (opts.apiUrl || "https://api.github.com").replace(/\/+$/, "");
  const octokit = new Octokit({
    auth: opts.token,
    baseUrl: apiUrl,
    userAgent: "dbclone",
    // Octokit logs 4xx as warnings itself; our errors say it once, with what to do.
    log: { debug: () => {}, info: () => {}, warn: (m: string) => opts.reporter?.debug(m), error: (m: string) => opts.reporter?.debug(m) },
  });
  octokit.hook.wrap("request", retryingRequest({ onRetry: (m) => opts.reporter?.warn(m), ...opts.retry }) as never);
  return { octokit, owner, repo, apiUrl };
}

/**
 * A client from the runner's environment, or undefined when there is no token (GitHub features
 * are then skipped by the caller, which says so). `token` (an action input) wins over GITHUB_TOKEN.
 */
export function gitHubClientFromEnv(env: NodeJS.ProcessEnv, opts: { token?: string; reporter?: Reporter; retry?: RetryPolicy } = {}): GitHubClient | undefined {
  const token = opts.token || env.GITHUB_TOKEN;
  if (!token) return undefined;
  if (!env.GITHUB_REPOSITORY) throw new UsageError("GITHUB_REPOSITORY is not set: the GitHub features need owner/name of the repository.");
  return createGitHubClient({ token, apiUrl: env.GITHUB_API_URL, repository: env.GITHUB_REPOSITORY, reporter: opts.reporter, retry: opts.retry });
}
