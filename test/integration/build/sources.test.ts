// Building images from every kind of PostgreSQL source through the whole pipeline, and refusing
// bad input without publishing anything or leaving a staging disk behind.
import { cpSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../../packages/core/src/build/index.js";
import { createClone, teardownClones } from "../../../packages/core/src/clones/index.js";
import type { SourceSpec } from "../../../packages/core/src/engine/types.js";
import { SourceError, UsageError, VersionExistsError } from "../../../packages/core/src/errors.js";
import { sha256File } from "../../../packages/core/src/image/index.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { run } from "../../../packages/core/src/runtime/exec.js";
import { Tracker, startSourceServer, type SourceServer } from "../engine/fixtures.js";
import { makeWorld, psql, type World } from "../clones/fixture.js";
import { strandedFilesystems, strandedSince } from "../../faults/leaks.js";
import { sourceDataDir } from "../../security/fixtures.js";

let world: World;
let tracker: Tracker;
let source: SourceServer;
const reporter = silentReporter;

beforeAll(async () => {
  world = await makeWorld("dbclone-build-");
  tracker = new Tracker();
  source = await startSourceServer(tracker);
});

afterAll(async () => {
  await tracker?.cleanup();
  await world?.cleanup();
});

const build = (version: string, sources: SourceSpec[], extra: Partial<Parameters<typeof buildImage>[0]> = {}) =>
  buildImage({
    repository: world.repository,
    name: "src",
    version,
    sources,
    home: world.home,
    reporter,
    unmasked: { reason: "synthetic test data" },
    ...extra,
  });

/** The build left no staging disk, mount or process, whatever happened. */
async function expectNoBuildLeftovers(): Promise<void> {
  const work = path.join(world.home, "work");
  expect(existsSync(work) ? readdirSync(work) : []).toEqual([]);
  expect(world.processes().filter((pid) => pid !== source.pid)).toEqual([]);
}

async function cloneAndCount(version: string, db: string, table: string): Promise<string> {
  const c = await createClone({ repository: world.repository, ref: `src:${version}`, home: world.home, reporter });
  try {
    const url = new URL(c.credentials.connectionString);
    url.pathname = `/${db}`;
    return psql(url.toString(), `SELECT count(*) FROM ${table}`);
  } finally {
    await teardownClones({ home: world.home, reporter, id: c.clone.id });
  }
}

describe("build-image from each source kind", () => {
  it("from two pg_dump files (custom and plain) into one image of two databases", async () => {
    const custom = path.join(world.root, "inventory.dump");
    const plain = path.join(world.root, "crm.sql");
    await source.dump(["pg_dump", "-Fc", "-f", custom, "-d", "inventory"]);
    await source.dump(["pg_dump", "-Fp", "-f", plain, "-d", "crm"]);
    const { image } = await build("dumps", [
      { kind: "dump", path: custom },
      { kind: "dump", path: plain, database: "crm" },
    ]);
    expect(image.manifest.databases.map((d) => d.name).sort()).toEqual(["crm", "inventory"]);
    // Sources by basename and digest: the builder's directory appears nowhere in the manifest.
    expect(image.manifest.source.files).toEqual([
      { name: "inventory.dump", digest: await sha256File(custom) },
      { name: "crm.sql", digest: await sha256File(plain) },
    ]);
    expect(image.manifest.source.description).toMatch(/inventory\.dump.*crm\.sql/);
    expect(JSON.stringify(image.manifest)).not.toContain(world.root);
    expect(await cloneAndCount("dumps", "inventory", "items")).toBe("2000");
    expect(await cloneAndCount("dumps", "crm", "contacts")).toBe("300");
    await expectNoBuildLeftovers();
  });

  it("from a directory-format dump", async () => {
    const dir = path.join(world.root, "inventory.dir");
    await source.dump(["pg_dump", "-Fd", "-f", dir, "-d", "inventory"]);
    await build("dirdump", [{ kind: "dump", path: dir }]);
    expect(await cloneAndCount("dirdump", "inventory", "items")).toBe("2000");
  });

  it("from a live server (pg_basebackup), with source passwords not carried over", async () => {
    const { image } = await build("live", [{ kind: "server", url: source.replUrl }]);
    expect(image.manifest.source.description).not.toContain("r3pl");
    expect(image.manifest.source.rolePasswordsStripped).toBe(true); // the superuser's hash included
    expect(image.manifest.databases.map((d) => d.name)).toEqual(expect.arrayContaining(["inventory", "crm"]));
    expect(await cloneAndCount("live", "crm", "contacts")).toBe("300");
    await expectNoBuildLeftovers();
  });

  it("from a stopped data directory (a copy of the live server's base backup)", async () => {
    const copy = path.join(world.root, "datadir-copy");
    const backup = path.join(world.root, "basebackup");
    // A consistent copy of a running cluster, then used as a stopped data directory.
    await run("/usr/lib/postgresql/15/bin/pg_basebackup", ["-D", backup, "-X", "stream", "-c", "fast", "-d", source.replUrl], { env: { ...process.env } });
    cpSync(backup, copy, { recursive: true });
    const { image } = await build("datadir", [{ kind: "datadir", path: copy }]);
    expect(image.manifest.source.description).toBe("PostgreSQL 15 data directory datadir-copy");
    expect(await cloneAndCount("datadir", "inventory", "items")).toBe("2000");
  });
});

describe("build-image refuses bad input and publishes nothing", () => {
  it("a file that is not a dump", async () => {
    const junk = path.join(world.root, "junk.dump");
    writeFileSync(junk, "hello, I am not a database\n");
    await expect(build("junk", [{ kind: "dump", path: junk }])).rejects.toThrow(SourceError);
    await expect(build("junk", [{ kind: "dump", path: junk }])).rejects.toThrow(/junk\.dump.*not a PostgreSQL dump/);
    expect((await world.repository.list("src")).map((i) => i.version)).not.toContain("junk");
    await expectNoBuildLeftovers();
  });

  it("a data directory of another PostgreSQL major version", async () => {
    const old = path.join(world.root, "pg11");
    cpSync(path.join(world.root, "datadir-copy"), old, { recursive: true });
    writeFileSync(path.join(old, "PG_VERSION"), "11\n");
    await expect(build("pg11", [{ kind: "datadir", path: old }])).rejects.toThrow(/PostgreSQL 11/);
    await expectNoBuildLeftovers();
  });

  it("a source with no table in any database, with the reason instead of a manifest error", async () => {
    const empty = await sourceDataDir(tracker, "SELECT 1");
    await expect(build("empty", [{ kind: "datadir", path: empty }])).rejects.toThrow(
      /hold no database with tables \(an empty 'postgres' database does not count\): there is nothing to publish/,
    );
    expect((await world.repository.list("src")).map((i) => i.version)).not.toContain("empty");
    await expectNoBuildLeftovers();
  });

  it("a version that already exists, before doing any work", async () => {
    await expect(build("dirdump", [{ kind: "dump", path: path.join(world.root, "inventory.dump") }])).rejects.toThrow(VersionExistsError);
  });

  it("a malformed image name or version", async () => {
    await expect(buildImage({ repository: world.repository, name: "Bad Name", version: "v1", sources: [], home: world.home, reporter })).rejects.toThrow(
      UsageError,
    );
    await expect(build("-nope", [])).rejects.toThrow(/version '-nope'/);
  });

  it("a staging disk that fills up: a clear error, staging removed, nothing published", async () => {
    const strandedBefore = strandedFilesystems(world.root);
    // ~400 MB of rows into a 320 MiB disk (XFS's smallest is 300 MB).
    const big = path.join(world.root, "big.sql");
    writeFileSync(
      big,
      "-- PostgreSQL database dump\nCREATE TABLE filler (id int, pad text);\nINSERT INTO filler SELECT g, repeat(md5(g::text), 12) FROM generate_series(1, 900000) g;\n",
    );
    await expect(build("full", [{ kind: "dump", path: big, database: "big" }], { diskSizeBytes: 320 * 1024 * 1024 })).rejects.toThrow(
      // The filesystem that filled (the staging XFS), its free space and size are named.
      /no space left while building src:full, on .*\/staging \(xfs on \/dev\/loop\d+\): [\d.]+ (B|KiB|MiB) free of [\d.]+ MiB/,
    );
    expect((await world.repository.list("src")).map((i) => i.version)).not.toContain("full");
    await expectNoBuildLeftovers();
    expect(await world.leftovers()).toEqual([]);
    // Unmounted for real: no XFS left alive in the kernel, no loop device that lost its export.
    expect(strandedSince(strandedBefore, world.root)).toEqual([]);
  });
});
