// The whole job as a workflow runs it: the dist bundles of build-image, then clone-db (main, then
// its post step), then teardown, each started like the runner starts them, against real PostgreSQL.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloneRegistry } from "../../packages/core/src/clones/index.js";
import { psql, type World } from "../integration/clones/fixture.js";
import { startFlowWorld } from "./flow-world.js";
import { runAction } from "./harness.js";

let world: World;
let env: Record<string, string>;
let dump: string;

beforeAll(async () => {
  ({ world, env, dump } = await startFlowWorld("dbclone-e2e-flow-", { sha: "a".repeat(40), runId: "777", sizeMb: 5, seed: 3 }));
});

afterAll(async () => {
  await world?.cleanup();
});

describe("build-image → clone-db (+post) → teardown, from the dist bundles", () => {
  it("publishes an image, hands out a working clone with masked secrets, and the post step removes it", async () => {
    const build = await runAction("build-image", {
      env,
      inputs: { image: "shop", version: "v1", "from-dump": dump, unmasked: "true", "unmasked-reason": "synthetic test data" },
    });
    expect(build.exitCode, build.stdout + build.stderr).toBe(0);
    expect(build.outputs.version).toBe("v1");
    expect(build.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(build.summary).toContain("shop");

    const clone = await runAction("clone-db", { env, inputs: { image: "shop:v1" } });
    expect(clone.exitCode, clone.stdout + clone.stderr).toBe(0);
    const out = clone.outputs;
    expect(out["image-digest"]).toBe(build.outputs.digest);
    expect(out.created).toBe("true");
    expect(Number(out["ready-seconds"])).toBeGreaterThan(0);
    // Secrets are masked before they are set as outputs, and never printed.
    expect(clone.secrets).toEqual(expect.arrayContaining([out.password, out["connection-string"]]));
    const printed = clone.stdout
      .split("\n")
      .filter((l) => !l.startsWith("::add-mask::"))
      .join("\n");
    expect(printed).not.toContain(out.password!);
    expect(clone.summary).not.toContain(out.password!);
    // One message per outcome: the ready line is printed once (not by core and again by the action).
    // (::debug:: lines show only with step debug logging.)
    const shown = printed
      .split("\n")
      .filter((l) => !l.startsWith("::debug::"))
      .join("\n");
    expect(shown.match(/Clone c-\S+ of shop:v1 ready/g)).toHaveLength(1);
    // The post step ran (post-if: always()) with the saved state and removed the clone...
    expect(clone.post?.exitCode, clone.post?.stdout).toBe(0);
    expect(await world.leftovers()).toEqual([]);
    expect(world.processes()).toEqual([]);
  });

  it("keep: true leaves the clone for a later teardown step, which removes it by id", async () => {
    const clone = await runAction("clone-db", { env, inputs: { image: "shop:v1", keep: "true", name: "pr-1" } });
    expect(clone.exitCode, clone.stdout + clone.stderr).toBe(0);
    expect(clone.post?.exitCode).toBe(0);
    const url = clone.outputs["connection-string"]!;
    expect(Number(psql(url, "SELECT count(*) FROM customers"))).toBeGreaterThan(0);
    // The bundle's default driver on this host is reflink: the clone's disk is a copy in the pool, no FUSE daemon.
    const record = (await new CloneRegistry(world.home).get(clone.outputs["clone-id"]!))!;
    expect(record.disk).toBe("reflink");
    expect(record.attachment?.file).toBe(path.join(world.home, "pool", "clones", `${record.id}.raw`));

    const again = await runAction("clone-db", { env, inputs: { image: "shop:v1", keep: "true", name: "pr-1" } });
    expect(again.outputs.created).toBe("false");
    expect(again.outputs["clone-id"]).toBe(clone.outputs["clone-id"]);

    const teardown = await runAction("teardown", { env, inputs: { "clone-id": clone.outputs["clone-id"]! } });
    expect(teardown.exitCode, teardown.stdout + teardown.stderr).toBe(0);
    expect(JSON.parse(teardown.outputs.removed!)).toEqual([clone.outputs["clone-id"]]);
    expect(await world.leftovers()).toEqual([]);
    expect(world.processes()).toEqual([]);
  });

  it("teardown by branch removes every clone the branch made", async () => {
    const branchEnv = { ...env, GITHUB_HEAD_REF: "feature-x" };
    for (let i = 0; i < 2; i++) {
      const c = await runAction("clone-db", { env: branchEnv, inputs: { image: "shop:v1", keep: "true" } });
      expect(c.exitCode, c.stdout + c.stderr).toBe(0);
    }
    const teardown = await runAction("teardown", { env, inputs: { branch: "feature-x" } });
    expect(teardown.exitCode, teardown.stdout + teardown.stderr).toBe(0);
    expect(teardown.outputs.count).toBe("2");
    expect(await world.leftovers()).toEqual([]);
  });
});
