// Named clones when the image moves on: kept with their data by default, recreated or refused on
// request, replaced with the same name, port, login, password, TTL and labels; and never touched
// by a caller outside their scope.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../../packages/core/src/build/index.js";
import { CloneRegistry, createClone, teardownClones, type CreateCloneOptions } from "../../../packages/core/src/clones/index.js";
import { createSampleDump } from "../../../packages/core/src/engine/index.js";
import { CloneError } from "../../../packages/core/src/errors.js";
import type { Reporter } from "../../../packages/core/src/reporter.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { makeWorld, psql, type World } from "./fixture.js";

let world: World;
let dump: string;
const lines: string[] = [];
const reporter: Reporter = { ...silentReporter, info: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`) };

beforeAll(async () => {
  world = await makeWorld("dbclone-it-named-");
  dump = path.join(world.root, "shop.dump");
  await createSampleDump(dump, { sizeMb: 3, seed: 21 });
  await publish("v1");
});
afterAll(async () => {
  await world?.cleanup();
});

const publish = (version: string) =>
  buildImage({
    unmasked: { reason: "synthetic test data" },
    repository: world.repository,
    name: "shop",
    version,
    sources: [{ kind: "dump", path: dump }],
    home: world.home,
    reporter: silentReporter,
    tags: ["latest"],
  });
const clone = (extra: Partial<CreateCloneOptions> = {}) =>
  createClone({ repository: world.repository, ref: "shop:latest", home: world.home, reporter, name: "branch-x", ...extra });
const notes = (url: string) => psql(url, "SELECT string_agg(note, ',' ORDER BY note) FROM branch_notes");

describe("a named clone when latest moves", () => {
  it("keeps the clone and its data by default, recreates or refuses on request, and carries credentials, TTL and labels over", async () => {
    const first = await clone({ ttlSeconds: 3600, labels: { branch: "x", team: "shop" } });
    psql(first.credentials.connectionString, "CREATE TABLE branch_notes (note text); INSERT INTO branch_notes VALUES ('mine')");
    await publish("v2");

    lines.length = 0;
    const kept = await clone();
    expect(kept.created).toBe(false);
    expect(kept.clone.id).toBe(first.clone.id);
    expect(kept.clone.image.version).toBe("v1");
    expect(kept.newerImage).toMatchObject({ name: "shop", version: "v2" });
    expect(notes(kept.credentials.connectionString)).toBe("mine");
    expect(lines.join("\n")).toMatch(/Kept clone c-\w+ \(branch-x\) with its data: it holds shop:v1, and shop:latest is now shop:v2/);
    expect(lines.join("\n")).not.toMatch(/dead/i);

    await expect(clone({ onImageChange: "fail" })).rejects.toThrow(CloneError);
    await expect(clone({ onImageChange: "fail" })).rejects.toThrow(/holds shop:v1, but shop:latest is now shop:v2, and on-image-change is 'fail'/);
    expect(notes(first.credentials.connectionString)).toBe("mine");

    lines.length = 0;
    const recreated = await clone({ onImageChange: "recreate" });
    expect(recreated.created).toBe(true);
    expect(recreated.clone.image.version).toBe("v2");
    expect(recreated.replaced?.id).toBe(first.clone.id);
    expect(lines.join("\n")).toMatch(/on-image-change recreate: clone c-\w+ \(branch-x\) held shop:v1; its data and every change made since/);
    expect(psql(recreated.credentials.connectionString, "SELECT to_regclass('branch_notes') IS NULL")).toBe("t");
    expect(recreated.credentials.connectionString).toBe(first.credentials.connectionString);
    expect(recreated.clone.labels).toEqual({ branch: "x", team: "shop" });
    const ttl = Date.parse(recreated.clone.expiresAt!) - Date.parse(recreated.clone.createdAt);
    expect(Math.abs(ttl - 3600_000)).toBeLessThan(5_000);
    expect(await new CloneRegistry(world.home).list()).toHaveLength(1);
  });

  it("says a clone whose server stopped is not running (never that a live one is dead) and makes it again", async () => {
    const record = (await new CloneRegistry(world.home).findByName("branch-x"))!;
    process.kill(record.serverPid!, "SIGKILL");
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(record.serverPid!, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        break;
      }
    }
    lines.length = 0;
    const again = await clone();
    expect(again.created).toBe(true);
    expect(lines.join("\n")).toMatch(/clone c-\w+ \(branch-x\) cannot be reused: its server is not running/);
    expect(again.credentials.password).toBe(record.password);
  });

  it("neither reuses nor replaces a clone of that name outside the caller's scope", async () => {
    const before = (await new CloneRegistry(world.home).findByName("branch-x"))!;
    await expect(clone({ scope: { "github-repository": "evil/other" }, reset: true })).rejects.toThrow(/it is neither reused nor replaced/);
    const after = (await new CloneRegistry(world.home).findByName("branch-x"))!;
    expect(after.id).toBe(before.id);
    const { removed, skipped } = await teardownClones({ home: world.home, reporter, name: "branch-x", scope: { "github-repository": "evil/other" } });
    expect(removed).toEqual([]);
    expect(skipped).toEqual([before.id]);
    await teardownClones({ home: world.home, reporter, name: "branch-x" });
    expect(await world.leftovers()).toEqual([]);
  });
});
