// pgbench and many applications live in the `postgres` database. A pg_dump of it builds (the staging
// server's own empty `postgres` database is not "another source"), its clone connects to it when
// asked (database option), and two sources still may not fill one database.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../../packages/core/src/build/index.js";
import { CloneRegistry, createClone, teardownClones } from "../../../packages/core/src/clones/index.js";
import { SourceError, UsageError } from "../../../packages/core/src/errors.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { startSourceServer, Tracker, type SourceServer } from "../engine/fixtures.js";
import { makeWorld, psql, type World } from "./fixture.js";

const tracker = new Tracker();
let world: World;
let source: SourceServer;
let dump: string;

beforeAll(async () => {
  world = await makeWorld("dbclone-it-postgresdb-");
  source = await startSourceServer(tracker);
  await source.psql(
    "postgres",
    `CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));
     INSERT INTO pgbench_accounts SELECT g, 1, 0, '' FROM generate_series(1, 1000) g;
     CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22));`,
  );
  dump = path.join(tracker.mount("dbclone-it-postgresdb-dump-"), "postgres.dump");
  await source.dump(["pg_dump", "--format=custom", `--file=${dump}`, "--dbname=postgres"]);
});
afterAll(async () => {
  await world?.cleanup();
  await tracker.cleanup();
});

describe("an image built from a pg_dump of the postgres database", () => {
  it("builds, lists the postgres database with its tables, and clones into it", async () => {
    await buildImage({
      repository: world.repository,
      name: "bench",
      version: "v1",
      sources: [{ kind: "dump", path: dump }],
      home: world.home,
      reporter: silentReporter,
    });
    const built = await world.repository.resolve({ name: "bench", version: "v1" });
    const postgres = built.manifest.databases.find((d) => d.name === "postgres");
    expect(postgres?.tables.map((t) => t.name).sort()).toEqual(["pgbench_accounts", "pgbench_history"]);

    const clone = await createClone({ repository: world.repository, ref: "bench:v1", home: world.home, reporter: silentReporter, database: "postgres" });
    try {
      expect(clone.credentials.connectionString).toMatch(/\/postgres$/);
      expect(psql(clone.credentials.connectionString, "SELECT count(*) FROM pgbench_accounts")).toBe("1000");
      psql(
        clone.credentials.connectionString,
        "UPDATE pgbench_accounts SET abalance = abalance + 5 WHERE aid = 1; INSERT INTO pgbench_history VALUES (1, 1, 1, 5, now(), '')",
      );
      expect(psql(clone.credentials.connectionString, "SELECT abalance FROM pgbench_accounts WHERE aid = 1")).toBe("5");
    } finally {
      await teardownClones({ home: world.home, reporter: silentReporter, id: clone.clone.id });
    }
  });

  it("refuses a database the image does not hold, naming the ones it does, before making anything", async () => {
    await expect(createClone({ repository: world.repository, ref: "bench:v1", home: world.home, reporter: silentReporter, database: "shop" })).rejects.toThrow(
      UsageError,
    );
    await expect(createClone({ repository: world.repository, ref: "bench:v1", home: world.home, reporter: silentReporter, database: "shop" })).rejects.toThrow(
      /database 'shop' is not in bench:v1; it holds: postgres/,
    );
    expect(await new CloneRegistry(world.home).list()).toEqual([]);
  });

  it("still refuses two sources that would fill the same database", async () => {
    const build = buildImage({
      repository: world.repository,
      name: "bench",
      version: "v2",
      sources: [
        { kind: "dump", path: dump },
        { kind: "dump", path: dump },
      ],
      home: world.home,
      reporter: silentReporter,
    });
    await expect(build).rejects.toThrow(SourceError);
    await expect(build).rejects.toThrow(/would restore into database "postgres", which another source already filled/);
    await expect(world.repository.resolve({ name: "bench", version: "v2" })).rejects.toThrow();
  });

  it("refuses a dump of a template database, whose data an image would silently drop", async () => {
    await source.psql("template1", "CREATE TABLE IF NOT EXISTS template_notes (id int)");
    const template = path.join(path.dirname(dump), "template1.dump");
    await source.dump(["pg_dump", "--format=custom", `--file=${template}`, "--dbname=template1"]);
    const build = buildImage({
      repository: world.repository,
      name: "tmpl",
      version: "v1",
      sources: [{ kind: "dump", path: template }],
      home: world.home,
      reporter: silentReporter,
    });
    await expect(build).rejects.toThrow(/would restore into the template database "template1", which an image does not carry/);
    await expect(world.repository.resolve({ name: "tmpl", version: "v1" })).rejects.toThrow();
  });
});
