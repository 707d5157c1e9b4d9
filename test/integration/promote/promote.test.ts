// Promote for real: a clone's writes become a layered version v2 over v1 (only the changed
// clusters stored), clones of v2 see them and clones of v1 do not, v1 cannot be deleted while
// v2 layers on it, --flatten gives a single-layer v3, and prune keeps v1 because v2 needs it.
import { execFileSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, openSync, statSync, writeSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloneRegistry } from "../../../packages/core/src/clones/index.js";
import { createClone, teardownClones } from "../../../packages/core/src/clones/index.js";
import { promoteClone } from "../../../packages/core/src/clones/promote.js";
import { DigestMismatchError, ImageInUseError, VersionExistsError } from "../../../packages/core/src/errors.js";
import { diffManifests, imageLog } from "../../../packages/core/src/lineage/index.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { type FsRepository, pruneImages } from "../../../packages/core/src/repository/index.js";
import { makeWorld, psql, type World, buildSampleImage } from "../clones/fixture.js";

let world: World;
const reporter = silentReporter;
const resolve = (version: string) => world.repository.resolve({ name: "shop", version });
const clone = (ref: string) => createClone({ repository: world.repository, ref, home: world.home, reporter });
const teardown = (id: string) => teardownClones({ home: world.home, reporter, id });
const blobPath = (digest: string) => (world.repository as FsRepository).layout.blob(digest);

beforeAll(async () => {
  world = await makeWorld("dbclone-promote-");
  await buildSampleImage(world, { sizeMb: 20, seed: 11 });
});

afterAll(async () => {
  await world?.cleanup();
});

describe("promote a clone to a new image version", () => {
  it("turns a clone's writes into a layered v2 that holds only the changed clusters", async () => {
    const c = await clone("shop:v1");
    psql(
      c.credentials.connectionString,
      "CREATE TABLE promoted_marker (note text); INSERT INTO promoted_marker VALUES ('from the clone'); DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders ORDER BY id LIMIT 10)",
    );
    await expect(promoteClone({ repository: world.repository, home: world.home, reporter, clone: c.clone.id, as: "shop:v1" })).rejects.toThrow(
      VersionExistsError,
    );

    const result = await promoteClone({
      repository: world.repository,
      home: world.home,
      reporter,
      clone: c.clone.id,
      as: "shop:v2",
      build: { actor: "tester" },
    });
    const v1 = await resolve("v1");
    const v2 = result.image;
    expect(v2.manifest.parent).toBe(v1.manifestDigest);
    expect(v2.manifest.source.kind).toBe("clone");
    expect(result.chainDepth).toBe(2);
    // The clone is consumed: no record, no child disk, nothing running or mounted.
    expect(await new CloneRegistry(world.home).get(c.clone.id)).toBeUndefined();
    expect(existsSync(c.clone.childFile)).toBe(false);
    // Re-inventoried: the new table is in the manifest; the clone's login is not in the data.
    const shop = v2.manifest.databases.find((d) => d.name === "shop")!;
    expect(shop.tables.find((t) => t.name === "promoted_marker")?.rowEstimate).toBe(1);
    const diff = diffManifests(v1.manifest, v2.manifest);
    expect(diff.tables.map((t) => `${t.table}:${t.changes.join("+")}`)).toEqual(expect.arrayContaining(["promoted_marker:added", "order_items:rows"]));
    // A fraction of v1: only what the clone wrote.
    const ratio = v2.manifest.disk.sizeBytes / v1.manifest.disk.sizeBytes;
    console.log(`v1 blob ${v1.manifest.disk.sizeBytes} B, v2 layer ${v2.manifest.disk.sizeBytes} B (${(ratio * 100).toFixed(1)}%)`);
    expect(ratio).toBeLessThan(0.15);
    // The published layer names no machine path: the chain is assembled explicitly at clone time.
    const info = JSON.parse(execFileSync("qemu-img", ["info", "--output=json", "-U", blobPath(v2.manifest.disk.digest)], { encoding: "utf8" }));
    expect(info["backing-filename"]).toBeUndefined();
    const log = await imageLog(world.repository, v2);
    expect(log.map((e) => e.version)).toEqual(["v2", "v1"]);
    expect(log[0]!.actor).toBe("tester");
    const events = await world.repository.audit.read({ action: "promote" });
    expect(events.map((e) => `${e.outcome} ${e.image}`)).toEqual(["success shop:v2"]);
  });

  it("clones of v2 see the change, clones of v1 do not", async () => {
    const a = await clone("shop:v2");
    const b = await clone("shop:v1");
    try {
      expect(psql(a.credentials.connectionString, "SELECT note FROM promoted_marker")).toBe("from the clone");
      expect(psql(b.credentials.connectionString, "SELECT to_regclass('promoted_marker') IS NULL")).toBe("t");
      // The clone login of the promoted clone did not survive into v2.
      expect(
        psql(
          a.credentials.connectionString,
          "SELECT count(*) FROM pg_roles WHERE (rolname LIKE 'dbclone\\_%' OR rolname LIKE 'clone\\_%') AND rolname <> current_user AND rolname NOT IN ('dbclone_admin', 'dbclone_owner', 'dbclone_clones')",
        ),
      ).toBe("0");
    } finally {
      await teardown(a.clone.id);
      await teardown(b.clone.id);
    }
  });

  it("refuses to delete v1 while v2 layers on it, even forced", async () => {
    const v1 = await resolve("v1");
    await expect(world.repository.delete(v1, { liveCloneDigests: [], force: true })).rejects.toThrow(ImageInUseError);
    await expect(world.repository.delete(v1, { liveCloneDigests: [], force: true })).rejects.toThrow(/shop:v2 \(its parent\)/);
    expect((await resolve("v1")).manifestDigest).toBe(v1.manifestDigest);
  });

  it("--flatten writes a single-layer v3 that clones fine and holds every change", async () => {
    const c = await clone("shop:v2");
    psql(c.credentials.connectionString, "INSERT INTO promoted_marker VALUES ('second')");
    const result = await promoteClone({ repository: world.repository, home: world.home, reporter, clone: c.clone.id, as: "shop:v3", flatten: true });
    expect(result.image.manifest.parent).toBeUndefined();
    expect(result.chainDepth).toBe(1);
    const d = await clone("shop:v3");
    try {
      expect(psql(d.credentials.connectionString, "SELECT string_agg(note, ',' ORDER BY note) FROM promoted_marker")).toBe("from the clone,second");
    } finally {
      await teardown(d.clone.id);
    }
  });

  it("prune keeps v1 because v2 needs it, keeps tagged v2, and frees the unneeded v3", async () => {
    const v2 = await resolve("v2");
    const v3 = await resolve("v3");
    await world.repository.untag("shop", "latest");
    await world.repository.tag(v2, "stable");
    const dry = await pruneImages(world.repository, { keepLast: 0, dryRun: true, liveCloneDigests: [] });
    expect(dry.removed.map((e) => e.version)).toEqual(["v3"]);
    expect(dry.kept.find((e) => e.version === "v1")?.reasons).toEqual(["parent of shop:v2"]);
    expect(dry.kept.find((e) => e.version === "v2")?.reasons).toEqual(["tagged stable"]);
    expect(dry.freedBytes).toBe(v3.manifest.disk.sizeBytes);
    expect(existsSync(blobPath(v3.manifest.disk.digest))).toBe(true);

    const real = await pruneImages(world.repository, { keepLast: 0, liveCloneDigests: [] });
    expect(real.removed.map((e) => e.version)).toEqual(["v3"]);
    expect(existsSync(blobPath(v3.manifest.disk.digest))).toBe(false);
    expect((await world.repository.list("shop")).map((s) => s.version)).toEqual(["v1", "v2"]);
  });

  it("verifies every layer before cloning a layered version: a damaged base fails the clone of v2", async () => {
    const v1 = await resolve("v1");
    const blob = blobPath(v1.manifest.disk.digest);
    chmodSync(blob, 0o644);
    const fd = openSync(blob, "r+");
    try {
      writeSync(fd, Buffer.from([0xff]), 0, 1, statSync(blob).size - 1);
    } finally {
      closeSync(fd);
    }
    chmodSync(blob, 0o444);
    await expect(clone("shop:v2")).rejects.toThrow(DigestMismatchError);
  });

  it("left nothing behind", async () => {
    expect(await new CloneRegistry(world.home).list()).toEqual([]);
    expect(await world.leftovers()).toEqual([]);
    expect(world.processes()).toEqual([]);
  });
});
