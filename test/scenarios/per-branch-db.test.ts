// workflows-examples/per-branch-db.yml across nightly refreshes: a branch's clone keeps its data
// (migrations and rows its runs wrote) through two runs of nightly-refresh.yml that move `latest`,
// says a newer version exists, and is replaced — with the same name, port, user, password, TTL
// and labels — only when the workflow is run with reset.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloneRegistry } from "../../packages/core/src/clones/index.js";
import { psql } from "../integration/clones/fixture.js";
import { nightlyJobOptions } from "./nightly.js";
import { loadExample, runJob, type JobRun } from "./workflow-runner.js";
import { makeScenarioWorld, type Production, type ScenarioWorld } from "./world.js";

const nightly = loadExample("nightly-refresh.yml");
const perBranch = loadExample("per-branch-db.yml");
const RUNNER = "dbclone-1";
let world: ScenarioWorld;
let production: Production;

beforeAll(async () => {
  world = await makeScenarioWorld([RUNNER]);
  production = await world.startProduction();
});
afterAll(async () => {
  await world?.cleanup();
});

async function refresh(run: number): Promise<string> {
  const job = await runJob(nightly, "build", nightlyJobOptions(world, production, run));
  expect(job.failed, job.steps.map((s) => s.result?.stdout ?? s.log ?? "").join("\n")).toBe(false);
  return job.byId("image").result!.outputs.version!;
}

/** One run of the branch workflow; `work` stands in for `npm run migrate && npm test` with the exported env. */
async function branchRun(run: number, work: (databaseUrl: string) => void, dispatch?: { reset: boolean }): Promise<JobRun> {
  let url = "";
  const job = await runJob(perBranch, "migrate-and-test", {
    runnerName: RUNNER,
    env: world.envFor(RUNNER),
    github: {
      event_name: dispatch ? "workflow_dispatch" : "push",
      ref: "refs/heads/feature-x",
      ref_name: "feature-x",
      head_ref: "",
      sha: `${run}`.padStart(40, "b"),
      repository: "acme/shop",
      run_id: String(700_000 + run),
      run_number: String(run),
      actor: "octocat",
      event: dispatch ? { inputs: dispatch } : { ref: "refs/heads/feature-x" },
    },
    inputs: dispatch ?? {},
    checkout: world.checkout,
    standIns: {
      "Migrate and test": (env) => {
        url = env.DATABASE_URL!;
        expect(env.PGPASSWORD).toBeTruthy();
        work(url);
      },
    },
  });
  for (const s of [...job.steps, ...job.posts]) expect(s.exitCode, `${s.step.name}: ${s.log ?? ""}${s.result?.stdout ?? ""}`).toBe(0);
  expect(job.byId("db").result!.outputs["connection-string"]).toBe(url);
  return job;
}

const rows = (url: string) => psql(url, "SELECT string_agg(note, ',' ORDER BY id) FROM branch_work");

describe("per-branch-db.yml with nightly-refresh.yml moving latest", () => {
  it("keeps the branch's data through two refreshes and replaces it, with the same credentials, only on reset", async () => {
    const v1 = await refresh(51);

    const first = await branchRun(1, (url) =>
      psql(url, "CREATE TABLE branch_work (id serial PRIMARY KEY, note text); INSERT INTO branch_work (note) VALUES ('run1')"),
    );
    const out1 = first.byId("db").result!.outputs;
    expect(out1).toMatchObject({ created: "true", version: v1, "image-changed": "false", name: "branch-feature-x", runner: RUNNER });
    const clone = (await new CloneRegistry(world.runners[RUNNER]!.home).findByName("branch-feature-x"))!;
    expect(clone.labels).toMatchObject({ branch: "feature-x", runner: RUNNER, "github-repository": "acme/shop" });
    const sevenDays = Date.parse(out1["expires-at"]!) - Date.now();
    expect(sevenDays).toBeGreaterThan(7 * 86400_000 - 120_000);
    // keep: true — the post step leaves the branch's clone running.
    expect(first.posts[0]!.result!.stdout).toContain(`keep: true: leaving clone ${out1["clone-id"]} running`);

    for (const [i, run] of [
      [2, 52],
      [3, 53],
    ] as const) {
      const newer = await refresh(run);
      expect(newer).not.toBe(v1);
      const again = await branchRun(i, (url) => {
        expect(rows(url)).toBe(["run1", "run2"].slice(0, i - 1).join(","));
        psql(url, `INSERT INTO branch_work (note) VALUES ('run${i}')`);
      });
      const out = again.byId("db").result!;
      expect(out.outputs).toMatchObject({
        created: "false",
        "clone-id": out1["clone-id"],
        version: v1,
        "image-changed": "true",
        "newer-version": newer,
        "connection-string": out1["connection-string"],
      });
      expect(out.stdout).toMatch(
        new RegExp(
          `Kept clone ${out1["clone-id"]} \\(branch-feature-x\\) on runner ${RUNNER} with its data: it holds shop:${v1}, and shop:${newer} was asked for`,
        ),
      );
      expect(out.stdout).not.toMatch(/dead/i);
      expect(out.summary).toContain(`shop:${newer} exists; this named clone kept its data`);
      expect(again.steps.at(-1)!.log).toContain(`image-changed=true newer=${newer}`);
    }
    const latest = (await world.runners[RUNNER]!.repository.resolve({ name: "shop", version: "latest" })).version;

    let afterReset = "";
    const reset = await branchRun(4, (url) => (afterReset = psql(url, "SELECT to_regclass('branch_work') IS NULL")), { reset: true });
    const out4 = reset.byId("db").result!;
    expect(afterReset).toBe("t");
    expect(out4.outputs).toMatchObject({ created: "true", version: latest, "image-changed": "false", name: "branch-feature-x" });
    // Same credentials: the steps and tools holding the old connection string keep working.
    for (const k of ["connection-string", "host", "port", "user", "password"]) expect(out4.outputs[k], k).toBe(out1[k]);
    expect(out4.outputs["clone-id"]).not.toBe(out1["clone-id"]);
    expect(out4.stdout).toMatch(/Replacing the clone named branch-feature-x: reset requested: the data of clone c-\w+ \(branch-feature-x\) is discarded/);
    expect(Date.parse(out4.outputs["expires-at"]!) - Date.now()).toBeGreaterThan(7 * 86400_000 - 120_000);
    const replaced = (await new CloneRegistry(world.runners[RUNNER]!.home).findByName("branch-feature-x"))!;
    expect(replaced.labels).toMatchObject({ branch: "feature-x", runner: RUNNER, "github-repository": "acme/shop" });
    expect(await new CloneRegistry(world.runners[RUNNER]!.home).list()).toHaveLength(1);
    // Three builds and four workflow runs (each first clone of a version expands it into the pool):
    // minutes on a loaded 2-core machine, more than the default test timeout.
  }, 900_000);
});
