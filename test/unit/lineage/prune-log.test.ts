import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ImageInUseError } from "../../../packages/core/src/errors.js";
import { imageLog } from "../../../packages/core/src/lineage/index.js";
import { type FsRepository, imageChain, pruneImages } from "../../../packages/core/src/repository/index.js";
import { makeLineageWorld, type LineageWorld } from "./fixture.js";

let world: LineageWorld | undefined;
afterEach(() => world?.cleanup());

describe("lineage and prune over layered versions", () => {
  it("log walks the parent chain newest first", async () => {
    world = await makeLineageWorld();
    const v1 = await world.publish("v1");
    const v2 = await world.publish("v2", { parent: v1, minutes: 1 });
    const v3 = await world.publish("v3", { parent: v2, minutes: 2 });
    const log = await imageLog(world.repository, v3);
    expect(log.map((e) => [e.version, e.parent ?? null])).toEqual([
      ["v3", v2.manifestDigest],
      ["v2", v1.manifestDigest],
      ["v1", null],
    ]);
    expect(log[0]!.actor).toBe("alice");
    expect((await imageChain(world.repository, v1)).map((i) => i.version)).toEqual(["v1"]);
  });

  it("keeps the newest N, tagged versions, live clones' versions and every parent they need; frees the rest", async () => {
    world = await makeLineageWorld();
    const base = await world.publish("v1", { sizeBytes: 10_000 });
    const old = await world.publish("old", { minutes: 1, sizeBytes: 3000 });
    const layer = await world.publish("v2", { parent: base, minutes: 2, sizeBytes: 500 });
    const live = await world.publish("live", { minutes: 3, sizeBytes: 700 });
    const newest = await world.publish("v9", { minutes: 9 });
    await world.repository.tag(layer, "stable");
    await expect(world.repository.delete(base, { liveCloneDigests: [], force: true })).rejects.toThrow(ImageInUseError);

    const dry = await pruneImages(world.repository, { keepLast: 1, dryRun: true, liveCloneDigests: [live.manifestDigest] });
    const reasons = Object.fromEntries(dry.kept.map((e) => [e.version, e.reasons]));
    expect(dry.removed.map((e) => e.version)).toEqual(["old"]);
    expect(dry.freedBytes).toBe(3000);
    expect(reasons).toEqual({
      v1: ["parent of shop:v2"],
      v2: ["tagged stable"],
      live: ["a live clone uses it"],
      v9: ["one of the newest 1"],
    });
    const blob = (world.repository as FsRepository).layout.blob(old.manifest.disk.digest);
    expect(existsSync(blob)).toBe(true);

    const real = await pruneImages(world.repository, { keepLast: 1, liveCloneDigests: [live.manifestDigest] });
    expect(real.removed.map((e) => e.version)).toEqual(["old"]);
    expect(existsSync(blob)).toBe(false);
    expect(newest.version).toBe("v9");
  });

  it("deletes a layer before its parent, and keeps versions built at git-tagged commits unless told", async () => {
    world = await makeLineageWorld();
    const v1 = await world.publish("v1");
    await world.publish("v2", { parent: v1, minutes: 1 });
    await world.publish("rel", { minutes: 2, commit: "abc123def456" });
    const kept = await pruneImages(world.repository, { keepLast: 0, dryRun: true, liveCloneDigests: [], taggedCommits: ["abc123def4567890"] });
    expect(kept.kept.map((e) => e.version)).toEqual(["rel"]);
    const all = await pruneImages(world.repository, { keepLast: 0, liveCloneDigests: [], taggedCommits: ["abc123def4567890"], includeTaggedCommits: true });
    expect(all.removed.map((e) => e.version)).toEqual(["v2", "v1", "rel"]);
    expect(await world.repository.list()).toEqual([]);
  });
});
