// What the runner tells a step about its run, read from the GITHUB_* variables it sets.
import fs from "node:fs";

type Env = NodeJS.ProcessEnv;

export interface GitInfo {
  repository?: string;
  commit?: string;
  ref?: string;
}

export interface BuildInfo {
  runUrl?: string;
  actor?: string;
}

export function gitInfo(env: Env = process.env): GitInfo {
  return dropEmpty({ repository: env.GITHUB_REPOSITORY, commit: env.GITHUB_SHA, ref: env.GITHUB_REF });
}

export function runUrl(env: Env = process.env): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: runId } = env;
  return server && repo && runId ? `${server}/${repo}/actions/runs/${runId}` : undefined;
}

export function buildInfo(env: Env = process.env): BuildInfo {
  return dropEmpty({ runUrl: runUrl(env), actor: env.GITHUB_ACTOR });
}

/** The branch a run is about: the PR's head branch on pull_request events, else the ref name. */
export function branchName(env: Env = process.env): string | undefined {
  return env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME || undefined;
}

/** The pull request number from the event payload, when the event has one. */
export function pullRequestNumber(env: Env = process.env): string | undefined {
  const eventPath = env.GITHUB_EVENT_PATH;
  if (!eventPath || !fs.existsSync(eventPath)) return undefined;
  try {
    const event = JSON.parse(fs.readFileSync(eventPath, "utf8")) as { pull_request?: { number?: number }; number?: number };
    const n = event.pull_request?.number ?? undefined;
    return typeof n === "number" ? String(n) : undefined;
  } catch {
    return undefined; // an unreadable payload only costs the default pr label
  }
}

/** Labels every clone gets unless the workflow gives its own: branch, pr and run, so teardown can find them. */
export function defaultCloneLabels(env: Env = process.env): Record<string, string> {
  return dropEmpty({ branch: branchName(env), pr: pullRequestNumber(env), run: env.GITHUB_RUN_ID }) as Record<string, string>;
}

/**
 * Labels that say where a clone lives and who made it: runner=<runner name> and
 * github-repository=<owner/name>. The workflow cannot override them: teardown, reuse and the
 * sweep act only on clones of their own repository.
 */
export function ownershipLabels(env: Env = process.env): Record<string, string> {
  return dropEmpty({ runner: env.RUNNER_NAME, "github-repository": env.GITHUB_REPOSITORY }) as Record<string, string>;
}

/** What an action may reuse or remove: clones labelled with this run's repository (none outside Actions). */
export function repositoryScope(env: Env = process.env): Record<string, string> | undefined {
  return env.GITHUB_REPOSITORY ? { "github-repository": env.GITHUB_REPOSITORY } : undefined;
}

function dropEmpty<T extends Record<string, string | undefined>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "")) as T;
}
