// Retries and clear errors for every GitHub API call (an Octokit `request` hook). Rate limits
// (429, or 403 with x-ratelimit-remaining: 0 or retry-after) are waited out when the wait is short,
// server errors (5xx) and dropped connections are retried with backoff, and everything else becomes
// a GitHubApiError that says which call failed, why, and what to do.
import { GitHubApiError, GitHubRateLimitError } from "./errors.js";

export interface RetryPolicy {
  /** Attempts per call, the first included (default 3). */
  attempts?: number;
  /** Longest rate-limit wait we sit out before giving up with an error (default 60 s). */
  maxWaitSeconds?: number;
  /** First backoff after a 5xx; doubles each time (default 1000 ms). */
  backoffMs?: number;
  /** Told about each wait, for the log. */
  onRetry?: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

interface ErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

type RequestOptions = { method?: string; url?: string };

/** Wraps one request function (Octokit's `hook.wrap("request", …)` signature). */
export function retryingRequest(policy: RetryPolicy = {}) {
  const attempts = policy.attempts ?? 3;
  const maxWait = policy.maxWaitSeconds ?? 60;
  const backoff = policy.backoffMs ?? 1000;
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = policy.now ?? Date.now;

  return async <T>(request: (options: RequestOptions) => Promise<T>, options: RequestOptions): Promise<T> => {
    const what = `${options.method ?? "GET"} ${pathOf(options.url)}`;
    for (let attempt = 1; ; attempt++) {
      try {
        return await request(options);
      } catch (e) {
        const err = e as ErrorLike;
        const limit = rateLimitWait(err, now());
        const last = attempt >= attempts;
        if (limit !== undefined) {
          if (last || limit > maxWait) throw rateLimitError(what, err, limit, now());
          policy.onRetry?.(`GitHub rate limit on ${what}: waiting ${limit} s before retry ${attempt}/${attempts - 1}`);
          await sleep(limit * 1000);
          continue;
        }
        const transient = err.status === undefined || err.status >= 500;
        if (transient && !last) {
          const ms = backoff * 2 ** (attempt - 1);
          policy.onRetry?.(`GitHub ${err.status ?? "connection"} error on ${what}: retrying in ${ms} ms (${attempt}/${attempts - 1})`);
          await sleep(ms);
          continue;
        }
        throw apiError(what, err);
      }
    }
  };
}

/** Seconds to wait when `err` is a rate-limit answer, else undefined. */
export function rateLimitWait(err: ErrorLike, nowMs: number): number | undefined {
  if (err.status !== 403 && err.status !== 429) return undefined;
  const h = err.response?.headers ?? {};
  const retryAfter = h["retry-after"];
  if (retryAfter !== undefined && retryAfter !== "") return Math.max(0, Number(retryAfter));
  if (String(h["x-ratelimit-remaining"]) === "0") {
    const reset = Number(h["x-ratelimit-reset"]);
    return Number.isFinite(reset) && reset > 0 ? Math.max(0, Math.ceil(reset - nowMs / 1000)) : 60;
  }
  // A 429 without headers is still a rate limit: GitHub asks for at least a minute.
  return err.status === 429 ? 60 : undefined;
}

function rateLimitError(what: string, err: ErrorLike, waitSeconds: number, nowMs: number): GitHubRateLimitError {
  const resetAt = new Date(nowMs + waitSeconds * 1000).toISOString();
  return new GitHubRateLimitError(
    `GitHub rate limit exceeded on ${what} (${err.status}); it resets in ${waitSeconds} s (${resetAt}). ` +
      `Run again after that, or use a token with a higher limit (a GitHub App token instead of a PAT).`,
    err.status,
    { cause: err },
  );
}

function apiError(what: string, err: ErrorLike): GitHubApiError {
  const said = githubMessage(err);
  const hint =
    err.status === undefined
      ? "GitHub could not be reached: check GITHUB_API_URL and the runner's network"
      : err.status === 401
        ? "the token was rejected: check the github-token input or GITHUB_TOKEN"
        : err.status === 403
          ? "the token lacks a permission this needs (see docs/github.md for the permissions block)"
          : err.status === 404
            ? "it does not exist, or the token cannot see it"
            : err.status === 422
              ? "GitHub refused the request as invalid"
              : "GitHub failed; retry later";
  return new GitHubApiError(`GitHub API ${what} failed${err.status ? ` (${err.status})` : ""}: ${said}; ${hint}.`, err.status, { cause: err });
}

function githubMessage(err: ErrorLike): string {
  const data = err.response?.data as { message?: string } | undefined;
  return (data && typeof data === "object" && data.message) || err.message || "no message";
}

function pathOf(url: string | undefined): string {
  return (url ?? "").replace(/^https?:\/\/[^/]+/, "");
}
