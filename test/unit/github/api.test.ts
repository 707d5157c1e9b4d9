// The GitHub client against a real local fake of the REST API: tags, team lookups, PR comments,
// pagination and the error answers (403, 404, rate limits) with retries where they help.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  commentMarker,
  createGitHubClient,
  createVersionTag,
  checkTagFree,
  GitHubApiError,
  GitHubRateLimitError,
  isTeamMember,
  TagConflictError,
  upsertPullRequestComment,
  type GitHubClient,
} from "../../../packages/core/src/github/index.js";
import { startFakeGitHub, type FakeGitHub } from "../../fixtures/github-api/server.js";

const SHA_A = "a".repeat(40);
const SHA_B = "b".repeat(40);
let gh: FakeGitHub;
let client: GitHubClient;
const retries: string[] = [];

beforeEach(async () => {
  gh = await startFakeGitHub({ teams: { "acme/data-eng": ["alice"] } });
  retries.length = 0;
  client = createGitHubClient({
    token: gh.token,
    apiUrl: gh.url,
    repository: "acme/shop",
    retry: { backoffMs: 10, maxWaitSeconds: 2, onRetry: (m) => retries.push(m) },
  });
});
afterEach(async () => {
  await gh.stop();
});

describe("version tags", () => {
  it("creates refs/tags/dbclone/<image>/<version> at the given sha", async () => {
    const result = await createVersionTag(client, "dbclone/team/shop/v1", SHA_A);
    expect(result).toEqual({ ref: "refs/tags/dbclone/team/shop/v1", sha: SHA_A, created: true });
    expect(gh.refs.get("refs/tags/dbclone/team/shop/v1")).toBe(SHA_A);
    const [post] = gh.callsTo("POST", /\/git\/refs$/);
    expect(post!.body).toEqual({ ref: "refs/tags/dbclone/team/shop/v1", sha: SHA_A });
    expect(post!.authorization).toBe(`token ${gh.token}`);
  });

  it("accepts a re-run that finds the tag at the same sha", async () => {
    gh.refs.set("refs/tags/dbclone/shop/v1", SHA_A);
    expect((await createVersionTag(client, "dbclone/shop/v1", SHA_A)).created).toBe(false);
  });

  it("refuses a tag that already points at another commit, before and after the build", async () => {
    gh.refs.set("refs/tags/dbclone/shop/v1", SHA_B);
    await expect(checkTagFree(client, "dbclone/shop/v1", SHA_A)).rejects.toThrow(TagConflictError);
    await expect(createVersionTag(client, "dbclone/shop/v1", SHA_A)).rejects.toThrow(/already points at bbbbbbbbbbbb, not at aaaaaaaaaaaa/);
    expect(gh.refs.get("refs/tags/dbclone/shop/v1")).toBe(SHA_B);
  });

  it("says which permission is missing when GitHub answers 403", async () => {
    gh.failNext("POST", /\/git\/refs$/, { status: 403, body: { message: "Resource not accessible by integration" } });
    await expect(createVersionTag(client, "dbclone/shop/v1", SHA_A)).rejects.toThrow(/Resource not accessible by integration.*contents: write/s);
  });
});

describe("team membership", () => {
  it("is true for an active member and false on 404", async () => {
    expect(await isTeamMember(client, "acme", "data-eng", "alice")).toBe(true);
    expect(await isTeamMember(client, "acme", "data-eng", "mallory")).toBe(false);
    expect(gh.callsTo("GET", /^\/orgs\/acme\/teams\/data-eng\/memberships\/alice$/)).toHaveLength(1);
  });

  it("names read:org when the token may not read teams (403)", async () => {
    gh.failNext("GET", /memberships/, { status: 403, body: { message: "Must have admin rights" } });
    await expect(isTeamMember(client, "acme", "data-eng", "alice")).rejects.toThrow(/read:org/);
  });
});

describe("PR comments", () => {
  it("creates the comment once, then updates it in place", async () => {
    const marker = commentMarker("shop");
    const first = await upsertPullRequestComment(client, 42, marker, "version v1");
    const second = await upsertPullRequestComment(client, 42, marker, "version v2");
    expect(first.created).toBe(true);
    expect(second).toEqual({ id: first.id, created: false });
    const comments = gh.comments.get(42)!;
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toBe(`${marker}\nversion v2`);
    expect(gh.callsTo("POST", /comments$/)).toHaveLength(1);
    expect(gh.callsTo("PATCH", /comments\/\d+$/)).toHaveLength(1);
  });

  it("finds its comment on a later page (Link header pagination)", async () => {
    const list = Array.from({ length: 150 }, (_, i) => ({ id: i + 1, body: `someone else ${i}` }));
    list.push({ id: 500, body: `${commentMarker("shop")}\nold` });
    gh.comments.set(7, list);
    const result = await upsertPullRequestComment(client, 7, commentMarker("shop"), "new");
    expect(result).toEqual({ id: 500, created: false });
    const pages = gh.callsTo("GET", /issues\/7\/comments$/).map((c) => c.query.page ?? "1");
    expect(pages).toEqual(["1", "2"]);
  });

  it("keeps one comment per image on the same PR", async () => {
    await upsertPullRequestComment(client, 3, commentMarker("shop"), "a");
    await upsertPullRequestComment(client, 3, commentMarker("billing"), "b");
    expect(gh.comments.get(3)).toHaveLength(2);
  });
});

describe("errors and retries", () => {
  it("turns 404 into an error naming the call", async () => {
    const err = await upsertPullRequestComment(client, 1, "m", "x").catch((e) => e);
    gh.failNext("GET", /issues\/9\/comments$/, { status: 404, body: { message: "Not Found" } });
    const e404 = await upsertPullRequestComment(client, 9, "m", "x").catch((e) => e);
    expect(err).toEqual({ id: expect.any(Number), created: true });
    expect(e404).toBeInstanceOf(GitHubApiError);
    expect(e404.message).toMatch(/GET \/repos\/acme\/shop\/issues\/9\/comments\?per_page=100 failed \(404\): Not Found; it does not exist/);
  });

  it("waits out a short secondary rate limit (403 + retry-after) and succeeds", async () => {
    gh.failNext("GET", /memberships/, { status: 403, headers: { "retry-after": "1" }, body: { message: "You have exceeded a secondary rate limit" } });
    const started = Date.now();
    expect(await isTeamMember(client, "acme", "data-eng", "alice")).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(retries[0]).toMatch(/rate limit.*waiting 1 s/);
    expect(gh.callsTo("GET", /memberships/)).toHaveLength(2);
  });

  it("retries a 429 with retry-after, and gives up clearly when the limit resets too late", async () => {
    gh.failNext("GET", /memberships/, { status: 429, headers: { "retry-after": "0" }, body: { message: "slow down" } });
    expect(await isTeamMember(client, "acme", "data-eng", "alice")).toBe(true);

    const reset = Math.floor(Date.now() / 1000) + 3600;
    gh.failNext("GET", /memberships/, {
      status: 403,
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      body: { message: "API rate limit exceeded" },
    });
    const err = await isTeamMember(client, "acme", "data-eng", "alice").catch((e) => e);
    expect(err).toBeInstanceOf(GitHubRateLimitError);
    expect(err.message).toMatch(/rate limit exceeded .*\(403\); it resets in 3\d{3} s \(/);
    expect(err.message).toContain(new Date(reset * 1000).toISOString().slice(0, 16));
  });

  it("retries server errors with backoff, then reports the last one", async () => {
    gh.failNext("GET", /memberships/, { status: 502, body: { message: "Bad gateway" } }, 1);
    expect(await isTeamMember(client, "acme", "data-eng", "alice")).toBe(true);
    gh.failNext("GET", /memberships/, { status: 503, body: { message: "Unavailable" } }, 3);
    await expect(isTeamMember(client, "acme", "data-eng", "alice")).rejects.toThrow(/\(503\): Unavailable; GitHub failed; retry later/);
    expect(gh.callsTo("GET", /memberships/)).toHaveLength(5);
  });

  it("says the token was rejected on 401", async () => {
    const bad = createGitHubClient({ token: "wrong", apiUrl: gh.url, repository: "acme/shop" });
    await expect(createVersionTag(bad, "dbclone/shop/v1", SHA_A)).rejects.toThrow(/\(401\): Bad credentials; the token was rejected/);
  });
});
