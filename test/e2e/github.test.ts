// The GitHub-native flow from the dist bundles, against the local fake GitHub API and real
// PostgreSQL: build-image tags the version at its commit, clone-db picks it with version: auto
// from a descendant commit, checks access, comments on the PR (once, then in place), teardown adds
// the schema diff, and every audit event carries the job's verified OIDC claims.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSampleDump } from "../../packages/core/src/engine/index.js";
import { commentMarker } from "../../packages/core/src/github/index.js";
import { startFakeGitHub, type FakeGitHub } from "../fixtures/github-api/server.js";
import { makeWorld, psql, type World } from "../integration/clones/fixture.js";
import { runAction } from "./harness.js";

const C1 = "c1".repeat(20);
const C2 = "c2".repeat(20);
const C3 = "c3".repeat(20);
let world: World;
let gh: FakeGitHub;
let env: Record<string, string>;
let dump: string;

beforeAll(async () => {
  world = await makeWorld("dbclone-e2e-github-");
  gh = await startFakeGitHub({ commits: [{ sha: C3, parent: C2 }, { sha: C2, parent: C1 }, { sha: C1 }], teams: { "acme/dba": ["bob"] } });
  Object.assign(gh.oidcClaims, { repository: "acme/shop", workflow: "ci", run_id: "4242", actor: "octocat", sha: C3 });
  const event = path.join(world.root, "event.json");
  fs.writeFileSync(event, JSON.stringify({ pull_request: { number: 5 } }));
  env = {
    DBCLONE_HOME: world.home,
    DBCLONE_REPO: world.repoDir,
    GITHUB_REPOSITORY: "acme/shop",
    GITHUB_API_URL: gh.url,
    // The OIDC issuer is pinned from the server URL (<server>/_services/token, as on GHES).
    GITHUB_SERVER_URL: gh.url,
    GITHUB_TOKEN: gh.token,
    GITHUB_ACTOR: "octocat",
    GITHUB_RUN_ID: "4242",
    GITHUB_EVENT_NAME: "pull_request",
    GITHUB_EVENT_PATH: event,
    GITHUB_HEAD_REF: "feature-x",
    ...gh.oidcEnv(),
  };
  dump = path.join(world.root, "shop.dump");
  await createSampleDump(dump, { sizeMb: 3, seed: 5 });
});

afterAll(async () => {
  await gh?.stop();
  await world?.cleanup();
});

describe("GitHub-native flow from the dist bundles against the fake API", () => {
  let cloneId = "";

  it("build-image publishes v1 and tags dbclone/shop/v1 at GITHUB_SHA", async () => {
    const build = await runAction("build-image", {
      env: { ...env, GITHUB_SHA: C1 },
      inputs: {
        image: "shop",
        version: "v1",
        "from-dump": dump,
        unmasked: "true",
        "unmasked-reason": "synthetic test data",
        "access-users": "octocat",
        "access-teams": "acme/dba",
      },
    });
    expect(build.exitCode, build.stdout + build.stderr).toBe(0);
    expect(gh.refs.get("refs/tags/dbclone/shop/v1")).toBe(C1);
    expect(gh.callsTo("POST", /\/git\/refs$/)[0]!.body).toEqual({ ref: "refs/tags/dbclone/shop/v1", sha: C1 });
    expect(build.summary).toContain("refs/tags/dbclone/shop/v1");
    const image = await world.repository.resolve({ name: "shop", version: "v1" });
    expect(image.manifest.git).toMatchObject({ repository: "acme/shop", commit: C1, tag: "dbclone/shop/v1" });
    expect(image.manifest.build).toMatchObject({ actor: "octocat", runUrl: `${gh.url}/acme/shop/actions/runs/4242` });
    expect(image.manifest.access).toEqual({ users: ["octocat"], teams: ["acme/dba"] });
  });

  it("clone-db with version: auto picks v1 from an ancestor and comments on the PR without the password", async () => {
    // The image was published unmasked: a pull_request job gets it only when the workflow opts in.
    const refused = await runAction("clone-db", { env: { ...env, GITHUB_SHA: C3 }, inputs: { image: "shop", version: "auto" } });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/unmasked personal data \(synthetic test data\).*allow-unmasked: true/);
    const clone = await runAction("clone-db", {
      env: { ...env, GITHUB_SHA: C3 },
      inputs: { image: "shop", version: "auto", comment: "true", keep: "true", "allow-unmasked": "true" },
    });
    expect(clone.exitCode, clone.stdout + clone.stderr).toBe(0);
    expect(clone.outputs.version).toBe("v1");
    cloneId = clone.outputs["clone-id"]!;
    const commits = gh.callsTo("GET", /\/repos\/acme\/shop\/commits$/);
    expect(commits[0]!.query.sha).toBe(C3);
    const comments = gh.comments.get(5)!;
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body.startsWith(commentMarker("shop"))).toBe(true);
    expect(body).toContain("`shop:v1` (version auto: built at ancestor c1c1c1c1c1c1, 2 commit(s) back)");
    expect(body).toContain(clone.outputs["image-digest"]!);
    expect(body).toContain(`host \`127.0.0.1\`, port \`${clone.outputs.port}\`, user \`${clone.outputs.user}\`, database \`${clone.outputs.database}\``);
    expect(body).not.toContain(clone.outputs.password!);
    expect(clone.summary).toContain("version auto: built at ancestor");
  });

  it("a team member may clone too; the comment is updated in place, not duplicated", async () => {
    const again = await runAction("clone-db", {
      env: { ...env, GITHUB_SHA: C3, GITHUB_ACTOR: "bob" },
      inputs: { image: "shop", version: "auto", comment: "true", "allow-unmasked": "true" },
    });
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(again.post?.exitCode).toBe(0);
    expect(gh.callsTo("GET", /^\/orgs\/acme\/teams\/dba\/memberships\/bob$/)).toHaveLength(1);
    expect(gh.comments.get(5)).toHaveLength(1);
    expect(gh.callsTo("POST", /issues\/5\/comments$/)).toHaveLength(1);
    expect(gh.callsTo("PATCH", /issues\/comments\/\d+$/)).toHaveLength(1);
  });

  it("denies someone outside the access list, with a clear error and an audited denial", async () => {
    const denied = await runAction("clone-db", { env: { ...env, GITHUB_SHA: C3, GITHUB_ACTOR: "mallory" }, inputs: { image: "shop:v1" } });
    expect(denied.exitCode).toBe(1);
    expect(denied.errors[0]).toMatch(
      /^access denied: mallory may not clone shop:v1: mallory is not among the image's access list \(user octocat, team acme\/dba\)/,
    );
    const [event] = await world.repository.audit.read({ action: "denied" });
    expect(event).toMatchObject({ actor: "mallory", outcome: "denied", image: "shop:v1" });
  });

  it("teardown with schema-diff adds the clone's schema changes to the PR comment", async () => {
    const clone = (await world.repository.audit.read({ action: "clone" }))[0]!;
    expect(clone.clone).toBe(cloneId);
    const { CloneRegistry } = await import("../../packages/core/src/clones/index.js");
    const record = (await new CloneRegistry(world.home).get(cloneId))!;
    const conn = `postgresql://${record.user}:${encodeURIComponent(record.password)}@${record.host}:${record.port}/${record.databases[0]}`;
    // The clone's login may create but not alter the image's tables (it does not own them).
    psql(conn, "CREATE TABLE loyalty (id int PRIMARY KEY, tier text NOT NULL DEFAULT 'none'); CREATE INDEX loyalty_tier ON loyalty (tier)");

    const teardown = await runAction("teardown", { env, inputs: { pr: "5", "schema-diff": "true" } });
    expect(teardown.exitCode, teardown.stdout + teardown.stderr).toBe(0);
    expect(JSON.parse(teardown.outputs.removed!)).toEqual([cloneId]);
    const body = gh.comments.get(5)![0]!.body;
    expect(body).toContain("```diff");
    expect(body).toMatch(/^\+shop: table public\.loyalty column tier text not null default 'none'::text$/m);
    expect(body).toMatch(/^\+shop: table public\.loyalty index CREATE INDEX loyalty_tier ON public\.loyalty USING btree \(tier\)$/m);
    expect(body).toMatch(/^\+shop: table public\.loyalty constraint loyalty_pkey PRIMARY KEY \(id\)$/m);
    expect(body).toContain("6 added, 0 removed.");
    // The comment still holds the clone facts above the diff.
    expect(body).toContain("### dbclone: database clone of `shop:v1`");
    expect(await world.leftovers()).toEqual([]);
    expect(world.processes()).toEqual([]);
  });

  it("every audit event carries the verified OIDC claims of the job", async () => {
    const events = await world.repository.audit.read();
    const actions = new Set(events.map((e) => e.action));
    for (const a of ["build", "tag", "clone", "denied", "teardown"]) expect(actions, a).toContain(a);
    for (const e of events.filter((x) => ["build", "tag", "clone", "denied", "teardown"].includes(x.action))) {
      expect(e.claims, `${e.action} ${e.seq}`).toEqual({ iss: gh.issuer, repository: "acme/shop", workflow: "ci", run_id: "4242", actor: "octocat", sha: C3 });
    }
    expect(events.find((e) => e.action === "tag" && e.detail?.startsWith("git "))).toMatchObject({
      commit: C1,
      detail: expect.stringContaining("refs/tags/dbclone/shop/v1"),
    });
    expect(gh.callsTo("GET", /openid-configuration$/).length).toBeGreaterThan(0);
    expect((await world.repository.audit.verify()).ok).toBe(true);
  });
});
