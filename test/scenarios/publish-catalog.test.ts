// workflows-examples/publish-catalog.yml after two runs of nightly-refresh.yml: the catalog job checks
// out dbclone (here: this repository, whose dist/ holds the CLI), runs `dbclone catalog` against the
// repository the nightly builds published to, and hands the site to the artifact and Pages uploads —
// which need GitHub, so their stand-ins check the inputs they are given and keep a copy of the site.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nightlyJobOptions } from "./nightly.js";
import { loadExample, runJob, type RunStandIn } from "./workflow-runner.js";
import { makeScenarioWorld, type Production, type ScenarioWorld } from "./world.js";

const nightly = loadExample("nightly-refresh.yml");
const workflow = loadExample("publish-catalog.yml");
const RUNNER = "dbclone-1";
let world: ScenarioWorld;
let production: Production;
const built: string[] = [];

beforeAll(async () => {
  world = await makeScenarioWorld([RUNNER]);
  production = await world.startProduction();
  for (const run of [51, 52]) {
    const job = await runJob(nightly, "build", nightlyJobOptions(world, production, run));
    expect(job.failed, job.steps.map((s) => s.result?.stdout ?? s.log ?? "").join("\n")).toBe(false);
    built.push(job.byId("image").result!.outputs.version!);
  }
});
afterAll(async () => {
  await world?.cleanup();
});

/** Every file of a site, relative path → content. */
function readSite(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of fs.readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const file = path.join(dir, rel);
    if (fs.statSync(file).isFile()) out.set(rel, fs.readFileSync(file, "utf8"));
  }
  return out;
}

describe("publish-catalog.yml after the nightly builds", () => {
  it("writes the image library of every version built and hands it to the artifact and Pages uploads", async () => {
    const uploads: Record<string, { inputs: Record<string, string>; site: Map<string, string> }> = {};
    // The uploads run while the job's runner temp still exists: read the site they are given there.
    const upload =
      (name: string): RunStandIn =>
      (_env, inputs) => {
        uploads[name] = { inputs, site: readSite(inputs.path!) };
      };
    let runnerTemp = "";
    const job = await runJob(workflow, "catalog", {
      runnerName: RUNNER,
      env: world.envFor(RUNNER),
      // The example's DBCLONE_REPO (/srv/dbclone/repository) is the operator's path; here it is the world's.
      operatorEnv: { DBCLONE_REPO: world.envFor(RUNNER).DBCLONE_REPO! },
      github: {
        event_name: "workflow_run",
        ref: "refs/heads/main",
        ref_name: "main",
        sha: "d".repeat(40),
        repository: "acme/shop",
        run_id: "990001",
        run_number: "1",
        actor: "octocat",
        token: world.gh.token,
        event: { workflow_run: { name: "Nightly image refresh", conclusion: "success" } },
      },
      checkout: world.checkout,
      standIns: {
        "Keep it as an artifact (open index.html from the unzipped folder)": (env, inputs) => {
          runnerTemp = env.RUNNER_TEMP!;
          upload("artifact")(env, inputs);
        },
        "Hand it to GitHub Pages": upload("pages"),
      },
    });
    for (const s of job.steps) expect(s.exitCode, `${s.step.name ?? s.step.uses}: ${s.log ?? ""}`).toBe(0);
    expect(job.failed).toBe(false);
    expect(job.steps.find((s) => s.step.name === "Write the catalog")!.log).toContain(`Catalog of ${built.length} versions`);

    // Both uploads got the folder the catalog step wrote, with the artifact settings the example gives.
    const site = path.join(runnerTemp, "image-library");
    expect(uploads.artifact!.inputs).toMatchObject({ name: "image-library", path: site, "include-hidden-files": "true", "retention-days": "90" });
    expect(uploads.pages!.inputs).toEqual({ path: site });

    const files = uploads.artifact!.site;
    expect([...files.keys()]).toEqual(expect.arrayContaining(["index.html", "lineage.html", "audit.html", ".nojekyll", ".dbclone-catalog"]));
    expect(files.get(".dbclone-catalog")).toContain(`catalog of ${built.length} versions`);
    const index = files.get("index.html")!;
    for (const version of built) {
      expect(index, `index.html lists shop:${version}`).toContain(version);
      expect(
        [...files.keys()].some((f) => f.startsWith("versions") && f.includes(version)),
        `a page for ${version}`,
      ).toBe(true);
    }
    expect(uploads.pages!.site).toEqual(files);

    // No secret and no data value in what would be published: not the key, not the production
    // password, not a customer's email.
    const email = await production.server.psql("shop", "SELECT email FROM customers ORDER BY id LIMIT 1");
    expect(email).toMatch(/@/);
    const all = [...files.values()].join("\n");
    for (const secret of [world.maskingKey, "read-only-pw", email.trim()]) expect(all).not.toContain(secret);
    // The job's workspace and runner temp went with the job.
    expect(fs.existsSync(runnerTemp)).toBe(false);
  });

  it("deploys to Pages from a GitHub-hosted job after the catalog job, with only the Pages permissions", () => {
    const pages = workflow.jobs.pages as unknown as { needs: string; "runs-on": string; permissions: Record<string, string>; steps: { uses?: string }[] };
    expect(pages.needs).toBe("catalog");
    expect(pages["runs-on"]).toBe("ubuntu-latest");
    expect(pages.permissions).toEqual({ pages: "write", "id-token": "write" });
    expect(pages.steps.map((s) => s.uses)).toEqual(["actions/deploy-pages@v4"]);
    expect(workflow.permissions).toEqual({ contents: "read" });
  });
});
