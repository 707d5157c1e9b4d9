// workflows-examples/cleanup-on-pr-close.yml over a pool of two runners (two DBCLONE_HOMEs, one
// image repository): the PR-close matrix removes the PR's and its branch's clones on each runner, the
// scheduled sweep asks the API fake which PRs closed and branches went, and `dbclone gc --github`
// does the same from a runner's cron. Other repositories' clones and unlabelled ones are never touched.
// The image is masked with the repository's policy, as nightly-refresh.yml publishes it: clone-db
// refuses an unmasked image on pull_request events.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import lockfile from "proper-lockfile";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../packages/core/src/build/index.js";
import { CloneRegistry, createClone } from "../../packages/core/src/clones/index.js";
import { createSampleDump } from "../../packages/core/src/engine/index.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { openRepository } from "../../packages/core/src/repository/index.js";
import { repoRoot, runAction } from "../e2e/harness.js";
import { loadExample, runJob, type JobRun } from "./workflow-runner.js";
import { makeScenarioWorld, type ScenarioWorld } from "./world.js";
import { shopMasking } from "./shop-policy.js";

const RUNNERS = ["dbclone-1", "dbclone-2"];
const workflow = loadExample("cleanup-on-pr-close.yml");
let world: ScenarioWorld;
let eventDir: string;

beforeAll(async () => {
  world = await makeScenarioWorld(RUNNERS, {
    pulls: { 7: { state: "closed" }, 8: { state: "open" }, 9: { state: "closed" }, 10: { state: "closed" }, 11: { state: "open" } },
    branches: ["main", "feature-8", "feature-11", "kept-branch"],
  });
  const first = world.runners[RUNNERS[0]!]!;
  eventDir = path.join(first.root, "events");
  fs.mkdirSync(eventDir);
  const dump = path.join(first.root, "shop.dump");
  await createSampleDump(dump, { sizeMb: 3, seed: 9 });
  await buildImage({
    repository: first.repository,
    name: "shop",
    version: "v1",
    sources: [{ kind: "dump", path: dump }],
    home: first.home,
    reporter: silentReporter,
    tags: ["latest"],
    masking: shopMasking(),
  });
});
afterAll(async () => {
  await world?.cleanup();
});

/** clone-db on `runner` for a PR (pull_request event) or a branch (push), as another workflow's job made it. */
async function cloneOn(runner: string, what: { pr?: number; branch: string; repository?: string; name?: string }) {
  const event = path.join(eventDir, `${runner}-${what.pr ?? what.branch}-${Math.random()}.json`);
  fs.writeFileSync(event, JSON.stringify(what.pr ? { pull_request: { number: what.pr } } : { ref: `refs/heads/${what.branch}` }));
  const r = await runAction("clone-db", {
    env: {
      ...world.envFor(runner),
      RUNNER_NAME: runner,
      GITHUB_REPOSITORY: what.repository ?? "acme/shop",
      GITHUB_EVENT_NAME: what.pr ? "pull_request" : "push",
      GITHUB_EVENT_PATH: event,
      ...(what.pr ? { GITHUB_HEAD_REF: what.branch } : { GITHUB_REF_NAME: what.branch }),
    },
    inputs: { image: "shop:latest", keep: "true", ...(what.name ? { name: what.name } : {}) },
  });
  return r;
}

async function made(runner: string, what: Parameters<typeof cloneOn>[1]): Promise<string> {
  const r = await cloneOn(runner, what);
  expect(r.exitCode, r.stdout).toBe(0);
  return r.outputs["clone-id"]!;
}

const ids = async (runner: string) => (await new CloneRegistry(world.runners[runner]!.home).list()).map((c) => c.id).sort();

function jobFor(runner: string, event: "closed" | "schedule", pr = 7): Promise<JobRun> {
  return runJob(workflow, event === "closed" ? "teardown" : "sweep", {
    runnerName: runner,
    matrix: { runner },
    env: world.envFor(runner),
    github: {
      event_name: event === "closed" ? "pull_request" : "schedule",
      ref: "refs/heads/main",
      ref_name: "main",
      head_ref: event === "closed" ? `feature-${pr}` : "",
      sha: "c".repeat(40),
      repository: "acme/shop",
      run_id: "8080",
      run_number: "3",
      actor: "octocat",
      token: world.gh.token,
      event: event === "closed" ? { action: "closed", number: pr, pull_request: { number: pr, head: { ref: `feature-${pr}` } } } : {},
    },
  });
}

describe("cleanup-on-pr-close.yml on a pool of two runners", () => {
  it("the PR-close matrix removes the PR's and its branch's clones on each runner, and nobody else's", async () => {
    const pr1 = await made("dbclone-1", { pr: 7, branch: "feature-7" });
    const pr2 = await made("dbclone-2", { pr: 7, branch: "feature-7" });
    const branch2 = await made("dbclone-2", { branch: "feature-7", name: "branch-feature-7" });
    const otherRepo = await made("dbclone-1", { pr: 7, branch: "feature-7", repository: "evil/other" });
    // Made by the CLI or a library caller: no github-repository label, so the actions leave it alone.
    const home2 = world.runners["dbclone-2"]!.home;
    const repository = await openRepository(world.runners["dbclone-1"]!.repoDir, { cacheDir: path.join(home2, "cache") });
    const unlabelled = (await createClone({ repository, ref: "shop:v1", home: home2, reporter: silentReporter, labels: { pr: "7", branch: "feature-7" } }))
      .clone.id;

    // Another repository's job on the same runner may neither reuse nor replace the branch's clone.
    const hijack = await cloneOn("dbclone-2", { branch: "feature-7", name: "branch-feature-7", repository: "evil/other" });
    expect(hijack.exitCode).toBe(1);
    expect(hijack.errors[0]).toMatch(
      /a clone named 'branch-feature-7' already exists on this runner, but it was not made with github-repository=evil\/other: it is neither reused nor replaced/,
    );
    expect(await ids("dbclone-2")).toContain(branch2);

    const one = await jobFor("dbclone-1", "closed");
    const two = await jobFor("dbclone-2", "closed");
    expect(one.runsOn).toContain("dbclone-1");
    expect(two.runsOn).toContain("dbclone-2");
    for (const job of [one, two]) for (const s of job.steps) expect(s.exitCode, `${s.step.name}: ${s.result?.stdout ?? s.log}`).toBe(0);
    expect(JSON.parse(one.byId("by-pr").result!.outputs.removed!)).toEqual([pr1]);
    expect(JSON.parse(one.byId("by-pr").result!.outputs.skipped!)).toEqual([otherRepo]);
    expect(JSON.parse(two.byId("by-pr").result!.outputs.removed!)).toEqual([pr2]);
    expect(JSON.parse(two.byId("by-pr").result!.outputs.skipped!)).toEqual([unlabelled]);
    expect(JSON.parse(two.byId("by-branch").result!.outputs.removed!)).toEqual([branch2]);
    expect(two.steps.at(-1)!.log).toContain("runner dbclone-2 removed 1 + 1 clones");
    // The sweep job is for the schedule: skipped on PR close.
    const sweepOnClose = await runJob(workflow, "sweep", {
      runnerName: "dbclone-1",
      matrix: { runner: "dbclone-1" },
      env: world.envFor("dbclone-1"),
      github: { event_name: "pull_request" },
    });
    expect(sweepOnClose.skippedJob).toBe(true);

    expect(await ids("dbclone-1")).toEqual([otherRepo]);
    expect(await ids("dbclone-2")).toEqual([unlabelled]);
  });

  it("the scheduled sweep removes clones of closed PRs and deleted branches on every runner", async () => {
    const open8 = await made("dbclone-1", { pr: 8, branch: "feature-8" });
    const closed9a = await made("dbclone-1", { pr: 9, branch: "feature-9" });
    const closed9b = await made("dbclone-2", { pr: 9, branch: "feature-9" });
    const keptBranch = await made("dbclone-2", { branch: "kept-branch", name: "branch-kept-branch" });
    const goneBranch = await made("dbclone-2", { branch: "gone-branch", name: "branch-gone-branch" });
    const before1 = await ids("dbclone-1");
    const before2 = await ids("dbclone-2");

    const schedule = await jobFor("dbclone-1", "schedule");
    const schedule2 = await jobFor("dbclone-2", "schedule");
    for (const job of [schedule, schedule2]) for (const s of job.steps) expect(s.exitCode, `${s.step.name}: ${s.result?.stdout ?? s.log}`).toBe(0);
    expect(JSON.parse(schedule.byId("sweep").result!.outputs.removed!)).toEqual([closed9a]);
    expect(JSON.parse(schedule2.byId("sweep").result!.outputs.removed!).sort()).toEqual([closed9b, goneBranch].sort());
    expect(schedule2.byId("sweep").result!.stdout).toContain("branch gone-branch was deleted");
    expect(await ids("dbclone-1")).toEqual(before1.filter((id) => id !== closed9a));
    expect(await ids("dbclone-2")).toEqual(before2.filter((id) => id !== closed9b && id !== goneBranch));
    expect(await ids("dbclone-1")).toContain(open8);
    expect(await ids("dbclone-2")).toContain(keptBranch);
    // The other repository's clone and the unlabelled one were never asked about.
    expect(world.gh.callsTo("GET", /\/repos\/evil\//)).toEqual([]);
  });

  it("dbclone gc --github removes the clone of a closed PR and keeps the open one, asking GitHub before it takes the registry lock", async () => {
    const closed = await made("dbclone-1", { pr: 10, branch: "feature-10" });
    const open = await made("dbclone-1", { pr: 11, branch: "feature-11" });
    const home = world.runners["dbclone-1"]!.home;
    // Hold the clone registry's lock: the sweep must still get its answers from GitHub meanwhile.
    const registryFile = path.join(home, "clones", "registry.json");
    const release = await lockfile.lock(registryFile, { lockfilePath: `${registryFile}.lock`, realpath: false });
    const gc = promisify(execFile)(process.execPath, [path.join(repoRoot, "dist/cli/index.cjs"), "gc", "--github", "--json"], {
      env: { ...process.env, DBCLONE_HOME: home, GITHUB_TOKEN: world.gh.token, GITHUB_REPOSITORY: "acme/shop", GITHUB_API_URL: world.gh.url },
    });
    try {
      for (let i = 0; i < 200 && world.gh.callsTo("GET", /\/pulls\/11$/).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(world.gh.callsTo("GET", /\/pulls\/10$/).length).toBeGreaterThan(0);
      expect(world.gh.callsTo("GET", /\/pulls\/11$/).length).toBeGreaterThan(0);
      expect(await ids("dbclone-1")).toContain(closed);
    } finally {
      await release();
    }
    const { stdout } = await gc;
    const result = JSON.parse(stdout) as { github: { removed: string[]; kept: string[] } };
    expect(result.github.removed).toEqual([closed]);
    expect(result.github.kept).toContain(open);
    expect(await ids("dbclone-1")).toContain(open);
    expect(await ids("dbclone-1")).not.toContain(closed);
    expect(world.gh.callsTo("GET", /\/repos\/acme\/shop\/pulls\/10$/).length).toBeGreaterThan(0);
  });
});
