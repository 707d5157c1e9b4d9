// The lineage commands end to end through the CLI, over a small real repository.
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../cli/helpers.js";
import { makeLineageWorld, type LineageWorld } from "./fixture.js";

let world: LineageWorld | undefined;
afterEach(() => world?.cleanup());

describe("dbclone log / diff / prune / show", () => {
  it("prints the chain, the differences and what prune would free", async () => {
    world = await makeLineageWorld();
    const v1 = await world.publish("v1", { rows: 10 });
    await world.publish("v2", { parent: v1, rows: 11, minutes: 1 });
    await world.publish("v3", { minutes: 2, sizeBytes: 2048 });
    const env = { DBCLONE_REPO: path.join(world.root, "repo"), DBCLONE_HOME: path.join(world.root, "home") };

    const log = await runCli(["log", "shop:v2"], env);
    expect(log.code).toBe(0);
    expect(log.stdout).toMatch(/shop:v2[\s\S]*shop:v1/);
    const json = JSON.parse((await runCli(["log", "shop:v2", "--json"], env)).stdout) as Array<{ version: string; parent?: string }>;
    expect(json.map((e) => e.version)).toEqual(["v2", "v1"]);
    expect(json[0]!.parent).toBe(v1.manifestDigest);

    const show = await runCli(["show", "shop:v2"], env);
    expect(show.stdout).toMatch(/Chain \(2 layers/);

    const diff = await runCli(["diff", "shop:v1", "shop:v2"], env);
    expect(diff.stdout).toMatch(/public\.orders\s+rows\s+rows 10 → 11/);

    const prune = await runCli(["prune", "--keep-last", "0", "--dry-run", "--json"], env);
    const result = JSON.parse(prune.stdout) as { removed: Array<{ version: string }>; freedBytes: number };
    expect(result.removed.map((e) => e.version)).toEqual(["v2", "v1", "v3"]);
    expect(result.freedBytes).toBe(4096 + 4096 + 2048);
    expect((await runCli(["prune", "--keep-last", "x"], env)).code).toBe(2);
  });
});
