// An image is checked on the first clone of each version a runner makes: one built by an older
// dbclone, or altered outside `dbclone build` (here: an admin's changes on a clone, promoted into
// a new version), may carry a widened system grant, a superuser's SECURITY DEFINER function or
// view, a reachable untrusted function, a preload-library or logging setting, a role password, a
// foreign server's secret or a subscription. Such a version is refused before any login exists,
// with nothing left behind; a version dbclone built passes, once, and later clones skip the check.
import { existsSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkImageOnce, stampFile } from "../../packages/core/src/clones/checked-images.js";
import { CloneRegistry, createClone, teardownClones } from "../../packages/core/src/clones/index.js";
import { promoteClone } from "../../packages/core/src/clones/promote.js";
import type { CloneEngine, RunningServer } from "../../packages/core/src/engine/types.js";
import { ADMIN_USER } from "../../packages/core/src/engine/postgres/engineFile.js";
import { imageCatalogFindings } from "../../packages/core/src/engine/postgres/image-check.js";
import { CloneError } from "../../packages/core/src/errors.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { buildSampleImage, makeWorld, type World } from "../integration/clones/fixture.js";

const SECRET = "mapping-secret-pw-5521";
// What an admin on a clone (or a hand-made image) could leave in the catalogs; promote strips
// role passwords and foreign secrets itself, so those are checked on a live server below.
const ALTERED = `
  GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text) TO PUBLIC;
  CREATE FUNCTION public.as_admin() RETURNS text SECURITY DEFINER LANGUAGE sql AS 'SELECT current_user';
  CREATE VIEW public.all_roles AS SELECT rolname FROM pg_catalog.pg_authid;
  CREATE ROLE helper NOLOGIN;
  CREATE FUNCTION public.read_any(text) RETURNS bytea LANGUAGE internal STRICT AS 'pg_read_binary_file_all';
  ALTER FUNCTION public.read_any(text) OWNER TO helper;
  ALTER ROLE ALL SET log_statement = 'all';
`;
const LIVE_ONLY = `
  ALTER ROLE helper PASSWORD 'helper-pw';
  CREATE EXTENSION postgres_fdw;
  CREATE SERVER prod FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', dbname 'prod');
  CREATE USER MAPPING FOR PUBLIC SERVER prod OPTIONS (user 'postgres', password '${SECRET}');
  CREATE SUBSCRIPTION from_prod CONNECTION 'host=127.0.0.1 port=1 dbname=prod password=${SECRET}' PUBLICATION p WITH (connect = false);
`;

let world: World;
const reporter = silentReporter;
const clone = (ref: string) => createClone({ repository: world.repository, ref, home: world.home, reporter });
const stampOf = (digest: string) => stampFile(world.home, digest);
const serverOf = (c: Awaited<ReturnType<typeof clone>>): RunningServer => ({
  pid: c.clone.serverPid ?? 0,
  host: c.clone.host,
  port: c.clone.port,
  socketDir: path.join(c.clone.dir, "run"),
  adminUser: ADMIN_USER,
});

async function asAdmin(server: RunningServer, db: string, sql: string): Promise<void> {
  const admin = new pg.Client({ host: server.socketDir, port: server.port, user: server.adminUser, database: db });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

beforeAll(async () => {
  world = await makeWorld("dbclone-image-check-");
  await buildSampleImage(world, { sizeMb: 20, seed: 5 });
}, 300_000);

afterAll(async () => {
  await world?.cleanup();
});

describe("the first clone of an image version checks its catalogs", { timeout: 300_000 }, () => {
  it("passes a version dbclone built, records it, and finds every kind of carry-over on a live server, naming objects, never values", async () => {
    const v1 = await world.repository.resolve({ name: "shop", version: "v1" });
    const c = await clone("shop:v1");
    try {
      expect(existsSync(stampOf(v1.manifestDigest))).toBe(true);
      const server = serverOf(c);
      // The check runs before a login exists; here the clone's own login (and its password) is there.
      expect(await imageCatalogFindings(server)).toEqual([`role ${c.clone.user} has a password`]);
      const db = c.clone.databases[0]!;
      await asAdmin(server, db, ALTERED + LIVE_ONLY);
      const found = (await imageCatalogFindings(server)).join("\n");
      expect(found).toMatch(/role helper has a password/);
      expect(found).toMatch(/sets log_statement \(every role\)/);
      expect(found).toMatch(/has the logical subscription from_prod/);
      expect(found).toMatch(new RegExp(`database ${db}: grants EXECUTE on function pg_read_binary_file\\(text\\) to PUBLIC`));
      expect(found).toMatch(/function public\.as_admin\(\) \(SECURITY DEFINER, owned by superuser dbclone_admin\)/);
      expect(found).toMatch(/view public\.all_roles \(owned by superuser dbclone_admin\)/);
      expect(found).toMatch(/function public\.read_any\(text\) in untrusted language internal is reachable/);
      expect(found).toMatch(/user mapping for PUBLIC on server prod holds password/);
      expect(found).not.toContain(SECRET);
      expect(found).not.toContain("helper-pw");
    } finally {
      await teardownClones({ home: world.home, reporter, id: c.clone.id });
    }
  });

  it("refuses a version altered outside the build before any login exists, leaving nothing behind", async () => {
    const c = await clone("shop:v1");
    await asAdmin(serverOf(c), c.clone.databases[0]!, ALTERED);
    const v2 = (await promoteClone({ repository: world.repository, home: world.home, reporter, clone: c.clone.id, as: "shop:v2", build: { actor: "tester" } }))
      .image;

    const refused = await clone("shop:v2").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CloneError);
    const message = (refused as Error).message;
    expect(message).toMatch(/shop:v2 carries what dbclone build takes out of every image/);
    expect(message).toMatch(/EXECUTE on function pg_read_binary_file\(text\) to PUBLIC/);
    expect(message).toMatch(/public\.as_admin\(\)/);
    expect(message).toMatch(/sets log_statement/);
    expect(message).toMatch(/rebuild it with this version of dbclone build/);
    expect(existsSync(stampOf(v2.manifestDigest))).toBe(false);
    expect(await new CloneRegistry(world.home).list()).toEqual([]);
    expect(await world.leftovers()).toEqual([]);
    expect(world.processes()).toEqual([]);
    const events = (await world.repository.audit.read()).filter((e) => e.action === "clone");
    expect(events.at(-1)).toMatchObject({ outcome: "failure", image: "shop:v2" });
  });

  it("checks each version once per runner: a recorded version is not checked again", async () => {
    const v1 = await world.repository.resolve({ name: "shop", version: "v1" });
    let checks = 0;
    const engine = {
      imageFindings: async () => {
        checks++;
        return [];
      },
    } as unknown as CloneEngine;
    const server = { pid: 0, host: "127.0.0.1", port: 1, socketDir: "/nonexistent", adminUser: ADMIN_USER };
    await checkImageOnce(world.home, engine, server, v1);
    expect(checks).toBe(0); // recorded by the first test's clone
    const other = { ...v1, manifestDigest: `sha256:${"0".repeat(64)}` };
    await checkImageOnce(world.home, engine, server, other);
    await checkImageOnce(world.home, engine, server, other);
    expect(checks).toBe(1);
    await expect(checkImageOnce(world.home, engine, server, { ...v1, manifestDigest: "sha256:../../x" })).rejects.toThrow(/not a sha256 manifest digest/);
  });
});
