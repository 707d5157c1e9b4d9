// workflows-examples/nightly-refresh.yml, step by step: pg_dump of a real "production" server, the
// build-image bundle (masking with the checkout's dbclone.yml and the key secret, version auto, tags
// latest + nightly, git tag through the API fake), a smoke-test clone, `psql` counting rows through
// its connection string, and the post step removing the clone.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadExample, runJob } from "./workflow-runner.js";
import { makeScenarioWorld, type Production, type ScenarioWorld } from "./world.js";
import { nightlyJobOptions } from "./nightly.js";

const workflow = loadExample("nightly-refresh.yml");
let world: ScenarioWorld;
let production: Production;

beforeAll(async () => {
  world = await makeScenarioWorld(["dbclone-1"]);
  production = await world.startProduction();
});
afterAll(async () => {
  await world?.cleanup();
});

describe("nightly-refresh.yml", () => {
  it("dumps production, publishes a new version as latest, smoke-tests a clone and leaves nothing behind", async () => {
    const job = await runJob(workflow, "build", nightlyJobOptions(world, production, 41));
    for (const s of [...job.steps, ...job.posts]) expect(s.exitCode, `${s.step.name ?? s.step.uses}: ${s.log ?? ""}${s.result?.stdout ?? ""}`).toBe(0);
    expect(job.failed).toBe(false);

    const ref = job.byId("image").result!.outputs["image-ref"]!;
    expect(ref).toMatch(/^shop:\d{8}-\d{6}-run41$/);
    const latest = await world.runners["dbclone-1"]!.repository.resolve({ name: "shop", version: "latest" });
    expect(`shop:${latest.version}`).toBe(ref);
    expect((await world.runners["dbclone-1"]!.repository.resolve({ name: "shop", version: "nightly" })).manifestDigest).toBe(latest.manifestDigest);
    expect(latest.manifest.labels).toMatchObject({ source: "production", schedule: "nightly" });
    // Built with the checkout's policy (dbclone.yml) and the key secret: masked, leak scan clean, no key in the log.
    const build = job.byId("image").result!;
    expect(build.outputs["leak-scan-hits"]).toBe("0");
    expect(latest.manifest.masking, "the manifest records the masking").toBeTruthy();
    // (the runner hides a value registered with ::add-mask::, which is how the key is meant to appear)
    const logLines = (build.stdout + build.stderr).split("\n").filter((l) => !l.startsWith("::add-mask::"));
    expect(logLines.join("\n")).not.toContain(world.maskingKey);
    expect(build.secrets).toContain(world.maskingKey);
    expect(world.gh.refs.get(`refs/tags/dbclone/shop/${latest.version}`)).toBe(nightlyJobOptions(world, production, 41).github.sha);

    // Count rows ran psql against the smoke-test clone: it printed the production row count.
    const count = job.steps.find((s) => s.step.name === "Count rows")!;
    const customers = await production.server.psql("shop", "SELECT count(*) FROM customers");
    expect(count.log).toContain(customers);
    // The clone was removed by clone-db's post step; the dump by the last step.
    expect(job.posts[0]!.result!.stdout).toMatch(/Tore down clone c-/);
    expect(await world.runners["dbclone-1"]!.leftovers()).toEqual([]);
    expect(fs.readdirSync(`${world.runners["dbclone-1"]!.home}/clones`).filter((f) => f.startsWith("c-"))).toEqual([]);
  });
});
