// The same job as flow.test.ts, but the actions' entry points are bundled from source at test time
// (not the checked-in dist/), so a bug in actions/*/src or packages/core fails here before a rebuild.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { psql, type World } from "../integration/clones/fixture.js";
import { startFlowWorld } from "./flow-world.js";
import { bundleFromSource, runAction } from "./harness.js";

let world: World;
let env: Record<string, string>;
let dump: string;
let bundleDir: string;

beforeAll(async () => {
  bundleDir = mkdtempSync(path.join(os.tmpdir(), "dbclone-e2e-src-"));
  await bundleFromSource(bundleDir);
  ({ world, env, dump } = await startFlowWorld("dbclone-e2e-src-flow-", { sha: "b".repeat(40), runId: "778", sizeMb: 2, seed: 4 }));
});

afterAll(async () => {
  await world?.cleanup();
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

describe("build-image → clone-db (+post) → teardown, from source", () => {
  it("publishes, hands out a working clone with its secrets masked, keeps it, and teardown removes it", async () => {
    const build = await runAction("build-image", {
      env,
      bundleDir,
      inputs: { image: "shop", version: "v1", "from-dump": dump, unmasked: "true", "unmasked-reason": "synthetic test data" },
    });
    expect(build.exitCode, build.stdout + build.stderr).toBe(0);
    expect(build.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const clone = await runAction("clone-db", { env, bundleDir, inputs: { image: "shop:v1", keep: "true" } });
    expect(clone.exitCode, clone.stdout + clone.stderr).toBe(0);
    const out = clone.outputs;
    expect(out["image-digest"]).toBe(build.outputs.digest);
    expect(clone.secrets).toEqual(expect.arrayContaining([out.password, out["connection-string"]]));
    const printed = clone.stdout
      .split("\n")
      .filter((l) => !l.startsWith("::add-mask::"))
      .join("\n");
    expect(printed).not.toContain(out.password!);
    expect(clone.summary).not.toContain(out.password!);
    expect(psql(out["connection-string"]!, "SELECT current_setting('dbclone.clone_id')")).toBe(out["clone-id"]);
    expect(clone.post?.exitCode, clone.post?.stdout).toBe(0);

    const teardown = await runAction("teardown", { env, bundleDir, inputs: { "clone-id": out["clone-id"]! } });
    expect(teardown.exitCode, teardown.stdout + teardown.stderr).toBe(0);
    expect(await world.leftovers()).toEqual([]);
    expect(world.processes()).toEqual([]);
  });
});
