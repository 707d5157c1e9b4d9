// workflows-examples/pr-ephemeral-db.yml for a pull request of the repository and for one from a
// fork: version auto through the API fake, the PR comment (or, with a fork's read-only token, a
// warning that names the permission — the job still succeeds), the tests' migration, and the post
// step adding the schema diff and removing the clone. The PR job clones the masked image the nightly
// build publishes; a version published unmasked is refused there.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSampleDump } from "../../packages/core/src/engine/index.js";
import { psql } from "../integration/clones/fixture.js";
import { runAction } from "../e2e/harness.js";
import { loadExample, runJob, type JobOptions } from "./workflow-runner.js";
import { makeScenarioWorld, type ScenarioWorld } from "./world.js";

const C1 = "a1".repeat(20);
const C2 = "a2".repeat(20);
const RUNNER = "dbclone-1";
const workflow = loadExample("pr-ephemeral-db.yml");
let world: ScenarioWorld;

beforeAll(async () => {
  world = await makeScenarioWorld([RUNNER], {
    commits: [{ sha: C2, parent: C1 }, { sha: C1 }],
    pulls: { 5: { state: "open" }, 6: { state: "open", fork: true } },
  });
  const dump = path.join(world.runners[RUNNER]!.root, "shop.dump");
  await createSampleDump(dump, { sizeMb: 3, seed: 3 });
  // The image as nightly-refresh.yml publishes it: masked with the repository's policy, so the PR
  // job (which never sees the key, and keeps allow-unmasked off) may clone it.
  const policy = path.join(world.runners[RUNNER]!.root, "dbclone.yml");
  fs.writeFileSync(policy, world.checkout["dbclone.yml"]!);
  const build = await runAction("build-image", {
    env: { ...world.envFor(RUNNER), GITHUB_REPOSITORY: "acme/shop", GITHUB_TOKEN: world.gh.token, GITHUB_SHA: C1 },
    inputs: { image: "shop", version: "v1", "from-dump": dump, policy, "masking-key": world.maskingKey },
  });
  expect(build.exitCode, build.stdout).toBe(0);
  expect(build.outputs["leak-scan-hits"]).toBe("0");
});
afterAll(async () => {
  await world?.cleanup();
});

function prJob(pr: number, opts: { fork: boolean; token: string }, migrated: string[]): JobOptions {
  return {
    runnerName: RUNNER,
    env: { ...world.envFor(RUNNER), ...(opts.fork ? {} : world.gh.oidcEnv()) },
    github: {
      event_name: "pull_request",
      ref: `refs/pull/${pr}/merge`,
      ref_name: `${pr}/merge`,
      head_ref: `feature-${pr}`,
      sha: C2,
      repository: "acme/shop",
      run_id: String(5000 + pr),
      run_number: "1",
      actor: "octocat",
      token: opts.token,
      event: {
        number: pr,
        pull_request: { number: pr, head: { ref: `feature-${pr}`, repo: { fork: opts.fork, full_name: opts.fork ? "mallory/shop" : "acme/shop" } } },
      },
    },
    checkout: world.checkout,
    standIns: {
      // npm test of the application: its migration, through the PG* variables the example maps.
      "Run the tests against the clone": (env) => {
        expect(env.DATABASE_URL).toContain(`@127.0.0.1:${env.PGPORT}/`);
        psql(env.DATABASE_URL!, "CREATE TABLE wishlist (id int PRIMARY KEY, customer_id bigint NOT NULL)");
        migrated.push(env.PGUSER!);
      },
    },
  };
}

describe("pr-ephemeral-db.yml", () => {
  it("a PR of the repository gets a comment with version auto's choice, the schema diff, and no clone left", async () => {
    Object.assign(world.gh.oidcClaims, { repository: "acme/shop", workflow: "pr", run_id: "5005", actor: "octocat", sha: C2 });
    const migrated: string[] = [];
    const job = await runJob(workflow, "test", prJob(5, { fork: false, token: world.gh.token }, migrated));
    for (const s of [...job.steps, ...job.posts]) expect(s.exitCode, `${s.step.name}: ${s.result?.stdout ?? s.log ?? ""}`).toBe(0);
    const db = job.byId("db").result!;
    expect(db.outputs.version).toBe("v1");
    expect(migrated).toEqual([db.outputs.user]);
    const [comment] = world.gh.comments.get(5)!;
    expect(comment!.body).toContain("version auto: built at ancestor a1a1a1a1a1a1, 1 commit(s) back");
    expect(comment!.body).toContain(`on runner \`${RUNNER}\``);
    expect(comment!.body).toMatch(/^\+shop: table public\.wishlist column customer_id bigint not null$/m);
    expect(comment!.body).not.toContain(db.outputs.password!);
    expect(await world.runners[RUNNER]!.leftovers()).toEqual([]);
  });

  it("a fork PR's read-only token turns the comment into a warning naming the permission; the job succeeds", async () => {
    world.gh.readOnlyTokens.add("fork-read-only-token");
    const migrated: string[] = [];
    const job = await runJob(workflow, "test", prJob(6, { fork: true, token: "fork-read-only-token" }, migrated));
    expect(job.failed).toBe(false);
    const db = job.byId("db").result!;
    expect(db.exitCode, db.stdout).toBe(0);
    expect(db.errors).toEqual([]);
    const warnings = db.commands.filter((c) => c.command === "warning").map((c) => c.message);
    expect(warnings.join("\n")).toMatch(/could not comment on pull request #6: GitHub answered 403\..*'permissions: pull-requests: write'/s);
    expect(migrated).toHaveLength(1);
    // The post step's schema diff meets the same refusal: a warning, and the clone still goes.
    const post = job.posts[0]!.result!;
    expect(post.exitCode, post.stdout).toBe(0);
    expect(post.commands.some((c) => c.command === "warning" && c.message.includes("could not comment on pull request #6"))).toBe(true);
    expect(post.stdout).toMatch(/Tore down clone c-/);
    expect(world.gh.comments.get(6) ?? []).toEqual([]);
    expect(world.gh.callsTo("POST", /\/issues\/6\/comments$/).length).toBeGreaterThan(0);
    expect(await world.runners[RUNNER]!.leftovers()).toEqual([]);
  });

  it("a version published unmasked is refused on the PR (allow-unmasked stays off); no test runs, no clone is left", async () => {
    const dump = path.join(world.runners[RUNNER]!.root, "shop.dump");
    const build = await runAction("build-image", {
      env: { ...world.envFor(RUNNER), GITHUB_REPOSITORY: "acme/shop", GITHUB_TOKEN: world.gh.token, GITHUB_SHA: C2 },
      inputs: { image: "shop", version: "v2-raw", "from-dump": dump, unmasked: "true", "unmasked-reason": "scenario: raw copy for a debugging session" },
    });
    expect(build.exitCode, build.stdout).toBe(0);
    const migrated: string[] = [];
    const job = await runJob(workflow, "test", prJob(5, { fork: false, token: world.gh.token }, migrated));
    expect(job.failed).toBe(true);
    const db = job.byId("db").result!;
    expect(db.exitCode).toBe(1);
    expect(db.errors.join("\n")).toMatch(/shop:v2-raw was published with unmasked personal data .*set allow-unmasked: true/s);
    expect(job.steps.find((s) => s.step.name === "Run the tests against the clone")!.skipped).toBe(true);
    expect(migrated).toEqual([]);
    expect(await world.runners[RUNNER]!.leftovers()).toEqual([]);
  });
});
