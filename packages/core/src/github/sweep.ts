// Clean up after a pool of runners without a shared registry: ask GitHub which pull requests are
// closed and which branches are gone, then remove this runner's clones made for them. Every API call
// happens first, outside the clone registry's lock, so a slow network never blocks clones.
import { CloneRegistry, teardownClones, type CloneRecord } from "../clones/index.js";
import type { Reporter } from "../reporter.js";
import type { GitHubClient } from "./client.js";
import { GitHubApiError, GitHubRateLimitError } from "./errors.js";

/** The labels the actions put on every clone (see actions/shared/github-context.ts). */
export const REPOSITORY_LABEL = "github-repository";
export const RUNNER_LABEL = "runner";

export interface SweepOptions {
  client: GitHubClient;
  home: string;
  reporter: Reporter;
}

export interface SweepResult {
  /** Clones removed because their PR is closed or their branch was deleted. */
  removed: string[];
  /** Clones of this repository whose PR is open or branch exists. */
  kept: string[];
  /** Clones whose state GitHub would not tell (left alone, with a warning). */
  unknown: string[];
}

type Verdict = { gone: true; why: string } | { gone: false; why?: string };

export async function sweepGitHubClones(opts: SweepOptions): Promise<SweepResult> {
  const { client, reporter } = opts;
  const repository = `${client.owner}/${client.repo}`;
  // Unlabelled clones and other repositories' clones are never this sweep's business.
  const candidates = (await new CloneRegistry(opts.home).list()).filter((r) => r.state === "ready" && r.labels?.[REPOSITORY_LABEL] === repository);
  const result: SweepResult = { removed: [], kept: [], unknown: [] };
  if (candidates.length === 0) {
    reporter.info(`Sweep: no clones of ${repository} on this runner.`);
    return result;
  }
  // The repository must answer: a token that cannot see it would make every PR look unknown.
  await client.octokit.rest.repos.get({ owner: client.owner, repo: client.repo });

  const verdicts = new Map<string, Verdict>();
  const cached = async (key: string, ask: () => Promise<Verdict>) => {
    if (!verdicts.has(key)) verdicts.set(key, await ask());
    return verdicts.get(key)!;
  };
  const decided: { record: CloneRecord; verdict: Verdict }[] = [];
  for (const record of candidates) {
    const pr = record.labels.pr;
    const branch = record.labels.branch;
    let verdict: Verdict = { gone: false };
    if (pr) verdict = await cached(`pr ${pr}`, () => pullRequestVerdict(client, pr));
    else if (branch) verdict = await cached(`branch ${branch}`, () => branchVerdict(client, branch));
    decided.push({ record, verdict });
  }

  for (const { record, verdict } of decided) {
    const label = `${record.id}${record.name ? ` (${record.name})` : ""}`;
    if (!verdict.gone) {
      if (verdict.why) {
        reporter.warn(`Sweep: kept clone ${label}: ${verdict.why}`);
        result.unknown.push(record.id);
      } else result.kept.push(record.id);
      continue;
    }
    reporter.info(`Sweep: removing clone ${label}: ${verdict.why}`);
    const { removed } = await teardownClones({ home: opts.home, reporter, id: record.id, scope: { [REPOSITORY_LABEL]: repository } });
    result.removed.push(...removed);
  }
  return result;
}

async function pullRequestVerdict(client: GitHubClient, pr: string): Promise<Verdict> {
  if (!/^\d+$/.test(pr)) return { gone: false, why: `its pr label '${pr}' is not a number` };
  try {
    const { data } = await client.octokit.rest.pulls.get({ owner: client.owner, repo: client.repo, pull_number: Number(pr) });
    return data.state === "closed" ? { gone: true, why: `pull request #${pr} is closed` } : { gone: false };
  } catch (e) {
    return unknownUnlessRateLimited(e, `pull request #${pr}`);
  }
}

async function branchVerdict(client: GitHubClient, branch: string): Promise<Verdict> {
  try {
    await client.octokit.rest.repos.getBranch({ owner: client.owner, repo: client.repo, branch });
    return { gone: false };
  } catch (e) {
    // The repository answered above, so a 404 here means the branch is gone.
    if (e instanceof GitHubApiError && e.status === 404) return { gone: true, why: `branch ${branch} was deleted` };
    return unknownUnlessRateLimited(e, `branch ${branch}`);
  }
}

function unknownUnlessRateLimited(e: unknown, what: string): Verdict {
  if (!(e instanceof GitHubApiError) || e instanceof GitHubRateLimitError) throw e;
  return { gone: false, why: `GitHub would not say whether ${what} is still there (${e.message})` };
}
