// The gates between a user and someone else's database: a clone is handed out (new or reused by
// name) only after the server on its port proves it is that clone of that image; and a clone never
// lives longer than its repository allows, whatever TTL was asked for.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloneRegistry } from "../../../packages/core/src/clones/index.js";
import { createClone, teardownClones } from "../../../packages/core/src/clones/index.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";
import { buildSampleImage, makeWorld, psql, type World } from "./fixture.js";
import { clonePostmasterPid, killAndWait, WrongServer } from "./wrong-server.js";

let world: World;
let wrong: WrongServer;

beforeAll(async () => {
  world = await makeWorld("dbclone-identity-");
  await buildSampleImage(world, { sizeMb: 2, seed: 11 });
  wrong = new WrongServer(path.join(world.root, "wrong-server"));
});

afterAll(async () => {
  try {
    wrong?.stop();
  } finally {
    await world?.cleanup();
  }
});

const clone = (extra: Partial<Parameters<typeof createClone>[0]> = {}) =>
  createClone({ repository: world.repository, ref: "shop:v1", home: world.home, reporter: silentReporter, ...extra });

/**
 * A reporter that, the moment the clone's connection string is registered as a secret (its server is
 * up, its port not yet proved), kills the clone's server and lets another one take its port: one that
 * accepts the clone's login (trust) and logs every login sent to it.
 */
function hijackingReporter(): Reporter {
  let done = false;
  return {
    ...silentReporter,
    secret(value: string) {
      if (done || !value.startsWith("postgresql://")) return;
      done = true;
      const port = Number(new URL(value).port);
      killAndWait(clonePostmasterPid(world.home, port));
      wrong.takeOver(value);
    },
  };
}

describe("clone identity", () => {
  it("refuses to hand out a new clone when another server has taken its port, never sends it the clone's login, and leaves nothing behind", async () => {
    try {
      const error = await clone({ reporter: hijackingReporter() }).then(
        () => undefined,
        (e: Error) => e,
      );
      // The proof sends no login to the port: the server there never saw the clone's login.
      expect(wrong.loginsSeen()).toEqual([]);
      expect(error?.message).toMatch(/Could not prove that the server on port \d+ is clone c-\w+: .*Recreate the clone/);
      expect(await new CloneRegistry(world.home).list()).toEqual([]);
      expect(await world.leftovers()).toEqual([]);
    } finally {
      wrong.stop();
    }
  });

  it("does not hand back a named clone whose port another server now answers (its recorded pid alive again): it makes the clone anew", async () => {
    const first = await clone({ name: "branch-a" });
    psql(first.credentials.connectionString, "CREATE TABLE mine (x int)");
    try {
      killAndWait(clonePostmasterPid(world.home, first.clone.port));
      wrong.takeOver(first.credentials.connectionString);
      // After a crash the recorded pid belongs to a live process again: the liveness check passes.
      await new CloneRegistry(world.home).patch(first.clone.id, { serverPid: wrong.pid });
      const again = await clone({ name: "branch-a" });
      expect(again.created).toBe(true);
      expect(again.clone.id).not.toBe(first.clone.id);
      expect(psql(again.credentials.connectionString, "SELECT current_setting('dbclone.clone_id')")).toBe(again.clone.id);
    } finally {
      wrong.stop();
      await teardownClones({ home: world.home, reporter: silentReporter, name: "branch-a" });
    }
  });
});

describe("clone lifetime", () => {
  it("caps a requested TTL at the repository's maxTtl, and uses the cap when none is asked for", async () => {
    const configFile = path.join(world.repoDir, "dbclone-repository.json");
    const config = JSON.parse(readFileSync(configFile, "utf8"));
    writeFileSync(configFile, JSON.stringify({ ...config, config: { ...config.config, maxTtl: "1h" } }));
    const asked = await clone({ ttlSeconds: 2 * 86_400 });
    const unasked = await clone();
    const shorter = await clone({ ttlSeconds: 600 });
    try {
      const lifetime = (c: typeof asked) => (Date.parse(c.clone.expiresAt!) - Date.parse(c.clone.createdAt)) / 1000;
      expect(lifetime(asked)).toBeGreaterThan(3600 - 120);
      expect(lifetime(asked)).toBeLessThanOrEqual(3600);
      expect(lifetime(unasked)).toBeGreaterThan(3600 - 120);
      expect(lifetime(unasked)).toBeLessThanOrEqual(3600);
      expect(lifetime(shorter)).toBeLessThanOrEqual(600);
      expect(lifetime(shorter)).toBeGreaterThan(600 - 120);
    } finally {
      for (const c of [asked, unasked, shorter]) await teardownClones({ home: world.home, reporter: silentReporter, id: c.clone.id });
      writeFileSync(configFile, JSON.stringify(config));
    }
  });
});
