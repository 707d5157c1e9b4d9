// version auto over a commit chain served by the fake API, against a real directory repository.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGitHubClient, resolveAutoVersion, type GitHubClient } from "../../../packages/core/src/github/index.js";
import { openRepository } from "../../../packages/core/src/repository/index.js";
import type { Repository } from "../../../packages/core/src/repository/types.js";
import { startFakeGitHub, type FakeGitHub } from "../../fixtures/github-api/server.js";
import { makeDiskFile, manifestForDisk } from "../_helpers/manifest.js";

const sha = (n: number) => `c0ffee${n.toString(16).padStart(34, "0")}`;
let gh: FakeGitHub;
let client: GitHubClient;
let root: string;
let repo: Repository;

/** c250 → c249 → … → c1: a linear history, newest first. */
beforeEach(async () => {
  const commits = Array.from({ length: 250 }, (_, i) => ({ sha: sha(i + 1), parent: i > 0 ? sha(i) : undefined }));
  gh = await startFakeGitHub({ commits });
  client = createGitHubClient({ token: gh.token, apiUrl: gh.url, repository: "acme/shop" });
  root = mkdtempSync(path.join(os.tmpdir(), "dbclone-autover-"));
  repo = await openRepository(path.join(root, "repo"));
});
afterEach(async () => {
  await gh.stop();
  rmSync(root, { recursive: true, force: true });
});

async function publish(version: string, commit: string | undefined, created: string, tags: string[] = []) {
  const disk = await makeDiskFile(root);
  const image = await repo.push(
    manifestForDisk(disk, { name: "shop", version, created, git: commit ? { repository: "acme/shop", commit } : undefined }),
    disk.path,
  );
  for (const t of tags) await repo.tag(image, t);
  return image;
}

describe("version auto", () => {
  it("takes the version built at the current commit", async () => {
    await publish("v1", sha(240), "2024-01-01T00:00:00.000Z");
    await publish("v2", sha(250), "2024-01-02T00:00:00.000Z");
    const r = await resolveAutoVersion(client, { repository: repo, image: "shop", sha: sha(250), gitRepository: "acme/shop" });
    expect(r).toMatchObject({ matched: "commit", commit: sha(250), distance: 0 });
    expect(r.image.version).toBe("v2");
  });

  it("skips ancestors without an image and takes the newest of two images at the nearest one", async () => {
    await publish("old", sha(100), "2024-01-01T00:00:00.000Z");
    await publish("first", sha(200), "2024-01-02T00:00:00.000Z");
    await publish("rebuilt", sha(200), "2024-01-03T00:00:00.000Z");
    // Built for another repository: never matches, even at the current commit.
    const disk = await makeDiskFile(root);
    await repo.push(
      manifestForDisk(disk, { name: "shop", version: "fork", created: "2024-02-01T00:00:00.000Z", git: { repository: "evil/fork", commit: sha(250) } }),
      disk.path,
    );
    const r = await resolveAutoVersion(client, { repository: repo, image: "shop", sha: sha(250), gitRepository: "acme/shop" });
    expect(r).toMatchObject({ matched: "ancestor", commit: sha(200), distance: 50 });
    expect(r.image.version).toBe("rebuilt");
    // One page of 100 commits was enough: the walk stops at the first match.
    expect(gh.callsTo("GET", /\/commits$/).map((c) => [c.query.sha, c.query.per_page, c.query.page ?? "1"])).toEqual([[sha(250), "100", "1"]]);
  });

  it("follows Link pagination and stops at the depth bound, then falls back to latest", async () => {
    await publish("ancient", sha(10), "2024-01-01T00:00:00.000Z", ["latest"]);
    const notes: string[] = [];
    const reporter = { debug() {}, info: (m: string) => notes.push(m), warn() {}, secret() {}, progress: () => ({ update() {}, finish() {} }) };
    const r = await resolveAutoVersion(client, { repository: repo, image: "shop", sha: sha(250), maxDepth: 200, reporter });
    expect(r.matched).toBe("latest");
    expect(r.image.version).toBe("ancient");
    expect(gh.callsTo("GET", /\/commits$/).map((c) => c.query.page ?? "1")).toEqual(["1", "2"]);
    expect(notes.join("\n")).toMatch(/no version of shop was built at c0ffee000000 or its last 200 ancestors; using shop:latest \(ancient\)/);
  });

  it("falls back to latest without a token, and fails clearly when there is no latest either", async () => {
    await publish("v1", sha(250), "2024-01-01T00:00:00.000Z");
    await expect(resolveAutoVersion(undefined, { repository: repo, image: "shop", sha: sha(250) })).rejects.toThrow(
      /no GitHub token to read the commit history, and there is no 'latest' tag/,
    );
    expect(gh.calls).toHaveLength(0);
  });
});
