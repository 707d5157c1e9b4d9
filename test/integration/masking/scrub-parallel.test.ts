// The scrub's VACUUM FULL on every core (engine/postgres/scrub.ts): tables rewritten in parallel
// sessions, catalogs after them, statistics catalogs last. Old row versions holding a value in a
// table, a materialized view, a partition, a table's statistics and a catalog row (a comment) are
// all gone from every data file afterwards, as after the database-wide VACUUM FULL, even with a
// look-alike format() in the data.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scrub } from "../../../packages/core/src/engine/postgres/scrub.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";
import { scratchServer, type Scratch } from "./fixture.js";

const SECRET = "residue-7f3a9c@scrub.test";
let scratch: Scratch;

beforeAll(async () => {
  scratch = await scratchServer();
  await scratch.sql("postgres", "CREATE DATABASE shop");
  await scratch.sql(
    "shop",
    `CREATE TABLE people (id int PRIMARY KEY, email text);
     INSERT INTO people SELECT g, CASE WHEN g = 7 THEN '${SECRET}' ELSE 'p' || g || '@x.test' END FROM generate_series(1, 2000) g;
     CREATE TABLE other (id int PRIMARY KEY, note text); INSERT INTO other SELECT g, '${SECRET}' FROM generate_series(1, 3) g;
     CREATE TABLE part (id int, v text) PARTITION BY RANGE (id);
     CREATE TABLE part_a PARTITION OF part FOR VALUES FROM (0) TO (100); CREATE TABLE part_b PARTITION OF part FOR VALUES FROM (100) TO (200);
     INSERT INTO part SELECT g, '${SECRET}' FROM generate_series(0, 199) g;
     CREATE MATERIALIZED VIEW mv AS SELECT id, email FROM people;
     COMMENT ON TABLE people IS 'contact ${SECRET}';
     -- A look-alike of pg_catalog.format that the restored data could carry: were the relations
     -- named by the server's format() in a default session, every name would be 'public.other'.
     CREATE FUNCTION public.format(text, name, name) RETURNS text LANGUAGE sql AS $f$ SELECT 'public.other' $f$;
     ANALYZE;`,
  );
  // Masked in place: every copy of the value is now an old row version (a dead tuple).
  await scratch.sql(
    "shop",
    `UPDATE people SET email = md5(email); UPDATE other SET note = 'clean'; UPDATE part SET v = 'clean';
     REFRESH MATERIALIZED VIEW mv; COMMENT ON TABLE people IS 'contact list';`,
  );
}, 120_000);

afterAll(async () => {
  await scratch?.close();
});

async function filesHolding(root: string, needle: Buffer): Promise<string[]> {
  const hits: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    if ((await readFile(full)).includes(needle)) hits.push(path.relative(root, full));
  }
  return hits;
}

describe("VACUUM FULL on every core", () => {
  it("leaves no old row version of a value in any data file: tables, partitions, a materialized view, statistics, a catalog row", async () => {
    await scratch.sql("shop", "CHECKPOINT");
    const before = await filesHolding(path.join(scratch.dataDir, "base"), Buffer.from(SECRET));
    expect(before.length).toBeGreaterThan(3); // the premise: the dead tuples are on disk
    const labels: string[] = [];
    const reporter: Reporter = {
      ...silentReporter,
      progress: (label) => {
        labels.push(label);
        return { update() {}, finish() {} };
      },
    };
    await scrub({ ...scratch.server, host: "" }, reporter, { full: true, jobs: 2 });
    expect(labels).toEqual(["VACUUM FULL + ANALYZE"]);
    expect(await filesHolding(path.join(scratch.dataDir, "base"), Buffer.from(SECRET))).toEqual([]);
    expect(await filesHolding(path.join(scratch.dataDir, "global"), Buffer.from(SECRET))).toEqual([]);
  }, 120_000);
});
