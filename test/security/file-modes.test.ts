// File modes under DBCLONE_HOME, whichever command creates the home first: the home, clones/,
// clones/<id> and work/build-* are 0711 (the server's OS user must traverse them), everything else
// is 0700 dirs / 0600 files; the OCI blob cache 0700 dirs / 0440 blobs; repository blobs 0440 with
// the group DBCLONE_BLOB_GROUP names. Checked by stat, and by a real clone whose server starts.
import { createHash } from "node:crypto";
import { mkdtempSync, promises as fs, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CloneRegistry } from "../../packages/core/src/clones/index.js";
import { createClone, teardownClones } from "../../packages/core/src/clones/index.js";
import { baseDigestCache } from "../../packages/core/src/disk/base-digests.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { BlobCache } from "../../packages/core/src/repository/cache/blob-cache.js";
import { verifiedBlobCache } from "../../packages/core/src/repository/verified-blobs.js";
import { makeWorld, psql, type World, buildSampleImage } from "../integration/clones/fixture.js";

const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8);

describe("a fresh DBCLONE_HOME gets the same modes whichever part makes it first", () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "dbclone-modes-"));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it("the verified-blob cache first (clone-db pulling an image): home 0711, cache 0700, its file 0600", async () => {
    const home = path.join(tmp, "home");
    const blob = path.join(tmp, "blob");
    await fs.writeFile(blob, "x");
    await verifiedBlobCache(path.join(home, "cache")).remember(blob, `sha256:${createHash("sha256").update("x").digest("hex")}`);
    expect(modeOf(home)).toBe("711");
    expect(modeOf(path.join(home, "cache"))).toBe("700");
    for (const f of await fs.readdir(path.join(home, "cache"))) expect(modeOf(path.join(home, "cache", f)), f).toBe("600");
  });

  it("the disk driver's state first: home 0711, state 0700, its file 0600", async () => {
    const home = path.join(tmp, "home");
    const file = path.join(tmp, "disk");
    await fs.writeFile(file, "x");
    await baseDigestCache(path.join(home, "state")).remember(file, `sha256:${"0".repeat(64)}`);
    expect(modeOf(home)).toBe("711");
    expect(modeOf(path.join(home, "state"))).toBe("700");
    expect(modeOf(path.join(home, "state", "verified-digests.json"))).toBe("600");
  });

  it("the clone registry first: home 0711, clones 0711, registry.json 0600", async () => {
    const home = path.join(tmp, "home");
    await new CloneRegistry(home).reserve({
      image: { name: "o", version: "1", manifestDigest: "x", diskDigest: "y" },
      engine: "postgres",
      host: "127.0.0.1",
      runtime: "host",
      password: "p",
      databases: [],
      labels: {},
      repository: "/r",
    });
    expect(modeOf(home)).toBe("711");
    expect(modeOf(path.join(home, "clones"))).toBe("711");
    expect(modeOf(path.join(home, "clones", "registry.json"))).toBe("600");
  });

  it("the OCI blob cache: dirs 0700, a cached blob 0440", async () => {
    const dir = path.join(tmp, "home", "cache");
    const digest = `sha256:${createHash("sha256").update("layer").digest("hex")}`;
    const got = await new BlobCache(dir).obtain(digest, async (t) => fs.writeFile(t.tempFile, "layer"));
    expect(modeOf(path.join(tmp, "home"))).toBe("711");
    for (const d of [dir, path.join(dir, "blobs"), path.join(dir, "blobs", "sha256"), path.join(dir, "partial")]) expect(modeOf(d), d).toBe("700");
    expect(modeOf(got.path)).toBe("440");
  });
});

describe("a real build and clone in a home dbclone made itself", () => {
  let world: World;
  const blobGroup = process.env.DBCLONE_BLOB_GROUP;
  beforeAll(async () => {
    process.env.DBCLONE_BLOB_GROUP = "daemon"; // gid 1 on Debian: a group the operator chose
    world = await makeWorld("dbclone-modes-it-"); // its root is 0711, like /var/lib; the home does not exist yet
    await buildSampleImage(world, { sizeMb: 2, seed: 3 });
  }, 300_000);
  afterAll(async () => {
    if (blobGroup === undefined) delete process.env.DBCLONE_BLOB_GROUP;
    else process.env.DBCLONE_BLOB_GROUP = blobGroup;
    await world?.cleanup();
  });

  it("home 0711, work 0711, state/cache 0700, repository blob 0440 in the chosen group; the clone's server starts", async () => {
    expect(modeOf(world.home)).toBe("711");
    expect(modeOf(path.join(world.home, "work"))).toBe("711");
    for (const d of ["state", "cache"]) expect(modeOf(path.join(world.home, d)), d).toBe("700");
    const image = await world.repository.resolve({ name: "shop", version: "v1" });
    const blob = path.join(world.repoDir, "blobs", "sha256", image.manifest.disk.digest.replace(/^sha256:/, ""));
    expect(modeOf(blob)).toBe("440");
    expect(statSync(blob).gid).toBe(1);

    const c = await createClone({ repository: world.repository, ref: "shop:v1", home: world.home, reporter: silentReporter });
    try {
      expect(psql(c.credentials.connectionString, "SELECT 1")).toBe("1");
      expect(modeOf(path.join(world.home, "clones"))).toBe("711");
      expect(modeOf(c.clone.dir)).toBe("711");
      expect(modeOf(path.join(world.home, "clones", "registry.json"))).toBe("600");
    } finally {
      await teardownClones({ home: world.home, reporter: silentReporter, id: c.clone.id });
    }
  }, 300_000);
});
