// A PR comment GitHub refuses (fork PR's read-only token, no pull-requests: write) is a warning with
// the reason and the permission to grant; every other failure stays an error.
import { describe, expect, it } from "vitest";
import { commentRefusal, GitHubApiError, GitHubRateLimitError, renderCloneComment } from "../../../packages/core/src/github/index.js";

describe("commentRefusal", () => {
  it.each([403, 404])("turns %i into a reason naming the permission", (status) => {
    const why = commentRefusal(new GitHubApiError("Resource not accessible by integration", status), 12);
    expect(why).toContain(`could not comment on pull request #12: GitHub answered ${status}.`);
    expect(why).toContain("'permissions: pull-requests: write'");
    expect(why).toContain("Resource not accessible by integration");
  });

  it("leaves rate limits, server errors and foreign errors to fail the step", () => {
    expect(commentRefusal(new GitHubRateLimitError("rate limit", 403), 1)).toBeUndefined();
    expect(commentRefusal(new GitHubApiError("boom", 500), 1)).toBeUndefined();
    expect(commentRefusal(new GitHubApiError("bad", 422), 1)).toBeUndefined();
    expect(commentRefusal(new Error("x"), 1)).toBeUndefined();
  });
});

describe("renderCloneComment", () => {
  const base = {
    image: "shop",
    version: "v1",
    digest: `sha256:${"a".repeat(64)}`,
    cloneId: "c-aaaaaaaaaa",
    created: false,
    readySeconds: 0.1,
    host: "127.0.0.1",
    port: 15432,
    user: "u",
    databases: ["crm", "shop"],
  };

  it("names the runner, the chosen database and a newer version kept out", () => {
    const body = renderCloneComment("<!-- m -->", { ...base, runner: "dbclone-2", database: "shop", newerVersion: "v2" });
    expect(body).toContain("| Clone | `c-aaaaaaaaaa` (reused) on runner `dbclone-2` |");
    expect(body).toContain("database `shop`");
    expect(body).toContain("`shop:v2` exists; this clone kept its data");
  });

  it("defaults to the first database and says nothing of versions when none is newer", () => {
    const body = renderCloneComment("<!-- m -->", base);
    expect(body).toContain("database `crm`");
    expect(body).not.toContain("Newer version");
  });
});
