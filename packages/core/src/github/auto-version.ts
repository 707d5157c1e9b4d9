// `version: auto` for clone-db: the newest version built at the current commit or its nearest
// ancestor. The repository's manifests record the commit each version was built for (git.commit);
// the API lists the commit history from GITHUB_SHA (paginated, bounded), and the first commit of
// that walk with a version wins. Nothing found → `latest`, and the caller says so.
import { ImageNotFoundError } from "../errors.js";
import type { Reporter } from "../reporter.js";
import type { PublishedImage, Repository } from "../repository/types.js";
import type { GitHubClient } from "./client.js";

export const DEFAULT_HISTORY_DEPTH = 200;
const PER_PAGE = 100;

export interface AutoVersionOptions {
  repository: Repository;
  image: string;
  /** The commit to start from (GITHUB_SHA). */
  sha: string;
  /** owner/name: versions built for another repository do not count. */
  gitRepository?: string;
  /** How many commits to walk back at most (default 200). */
  maxDepth?: number;
  reporter?: Reporter;
}

export interface AutoVersionResult {
  image: PublishedImage;
  /** How it was chosen: at the commit itself, at an ancestor, or the `latest` fallback. */
  matched: "commit" | "ancestor" | "latest";
  /** The commit the version was built for, when matched by commit. */
  commit?: string;
  /** Commits between `sha` and the match (0 = the commit itself). */
  distance?: number;
}

export async function resolveAutoVersion(client: GitHubClient | undefined, opts: AutoVersionOptions): Promise<AutoVersionResult> {
  const byCommit = await versionsByCommit(opts);
  if (client && byCommit.size > 0) {
    const found = await nearestBuiltCommit(client, opts.sha, byCommit, opts.maxDepth ?? DEFAULT_HISTORY_DEPTH);
    if (found) {
      const image = newest(byCommit.get(found.sha)!);
      return { image, matched: found.distance === 0 ? "commit" : "ancestor", commit: found.sha, distance: found.distance };
    }
  }
  const why = !client
    ? "no GitHub token to read the commit history"
    : byCommit.size === 0
      ? `no version of ${opts.image} records the commit it was built for`
      : `no version of ${opts.image} was built at ${opts.sha.slice(0, 12)} or its last ${opts.maxDepth ?? DEFAULT_HISTORY_DEPTH} ancestors`;
  let image: PublishedImage;
  try {
    image = await opts.repository.resolve({ name: opts.image, version: "latest" });
  } catch (e) {
    if (e instanceof ImageNotFoundError) {
      throw new ImageNotFoundError(
        `version auto for ${opts.image}: ${why}, and there is no 'latest' tag to fall back to; build the image first or give a version.`,
      );
    }
    throw e;
  }
  opts.reporter?.info(`version auto: ${why}; using ${opts.image}:latest (${image.version}).`);
  return { image, matched: "latest" };
}

/** commit sha → versions built for it, from the manifests in the repository. */
async function versionsByCommit(opts: AutoVersionOptions): Promise<Map<string, PublishedImage[]>> {
  const map = new Map<string, PublishedImage[]>();
  for (const summary of await opts.repository.list(opts.image)) {
    if (summary.name !== opts.image) continue;
    const image = await opts.repository.resolve({ name: summary.name, version: summary.version });
    const git = image.manifest.git;
    if (!git?.commit) continue;
    if (opts.gitRepository && git.repository && git.repository.toLowerCase() !== opts.gitRepository.toLowerCase()) continue;
    const key = git.commit.toLowerCase();
    map.set(key, [...(map.get(key) ?? []), image]);
  }
  return map;
}

/** Walk the history from `sha`, page by page, stopping at the first commit that has a version. */
async function nearestBuiltCommit(
  client: GitHubClient,
  sha: string,
  built: Map<string, unknown>,
  maxDepth: number,
): Promise<{ sha: string; distance: number } | undefined> {
  let distance = 0;
  const pages = client.octokit.paginate.iterator(client.octokit.rest.repos.listCommits, {
    owner: client.owner,
    repo: client.repo,
    sha,
    per_page: Math.min(PER_PAGE, maxDepth),
  });
  for await (const page of pages) {
    for (const commit of page.data) {
      if (built.has(commit.sha.toLowerCase())) return { sha: commit.sha, distance };
      if (++distance >= maxDepth) return undefined;
    }
  }
  return undefined;
}

/** Several versions at one commit (rebuilds): the newest one. */
function newest(images: PublishedImage[]): PublishedImage {
  return [...images].sort((a, b) => b.manifest.created.localeCompare(a.manifest.created) || b.version.localeCompare(a.version))[0]!;
}
