// The UPDATE phase split over block ranges in concurrent sessions (update-slices.ts): every row is
// masked exactly once even when a slice's new row versions land in another slice's block range
// (free space left by deleted rows), the result equals the per-value oracle, a failing slice
// fails the run, and a slice whose unique check waits for another slice's transaction does not hang.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { withAdmin } from "../../../packages/core/src/engine/postgres/client.js";
import { inventory } from "../../../packages/core/src/engine/postgres/inventory.js";
import { applyMasking } from "../../../packages/core/src/engine/postgres/masking/apply-masking.js";
import { schemaFacts } from "../../../packages/core/src/engine/postgres/masking/schema-facts.js";
import { runSlices } from "../../../packages/core/src/engine/postgres/masking/update-slices.js";
import type { RunningServer } from "../../../packages/core/src/engine/types.js";
import { parsePolicy } from "../../../packages/core/src/masking/index.js";
import { resolvePolicy } from "../../../packages/core/src/masking/policy/resolve-policy.js";
import { maskValue } from "../../../packages/core/src/masking/transformers/family-mapping.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";
import { scratchServer, type Scratch } from "./fixture.js";

const key = Buffer.from("slices-test-key-0123456789");
let scratch: Scratch;
let server: RunningServer;
const withDb = <T>(db: string, fn: (c: pg.Client) => Promise<T>) => withAdmin(server, db, fn);

// Dates repeat over 50 days: a row masked twice would find its shifted date in the mapping again
// and be shifted twice. One mapped column only: with two, a masked row no longer joins the second
// column's mapping (its masked name is not an input), which would hide a second pass. The where
// keeps the upper block range's rows as they are, so the free space there is left for the lower
// range's new row versions (the premise below), whatever the timing of the two slices.
const POLICY = `databases:
  slices:
    tables:
      people:
        where: id <= 3000
        columns:
          born: { transformer: dateShift, days: 30 }
`;

beforeAll(async () => {
  scratch = await scratchServer();
  server = { ...scratch.server, host: "" };
  await scratch.sql("postgres", "CREATE DATABASE slices");
  await scratch.sql(
    "slices",
    `CREATE TABLE people (id int PRIMARY KEY, born date NOT NULL, name text NOT NULL, pad text) WITH (autovacuum_enabled = off);
     INSERT INTO people SELECT g, date '2000-01-01' + (g % 50), 'Name' || (g % 40), repeat('x', 200) FROM generate_series(1, 6000) g;
     DELETE FROM people WHERE id > 3000 AND id % 2 = 0;`,
  );
  // Free space in the upper half's pages: the lower slice's new row versions land there.
  await scratch.sql("slices", "VACUUM people");
  await scratch.sql("slices", "CREATE TABLE originals AS SELECT id, born, name FROM people");
}, 120_000);

afterAll(async () => {
  await scratch?.close();
});

describe("the UPDATE split over block ranges", () => {
  it("masks every row exactly once, as the per-value mapping says, in concurrent slices", async () => {
    const policy = resolvePolicy(parsePolicy(POLICY, "policy.yml"), undefined, await schemaFacts(withDb, await inventory(server)));
    const infos: string[] = [];
    const reporter: Reporter = { ...silentReporter, info: (m) => infos.push(m) };
    const blocks = (await scratch.sql("slices", "SELECT pg_relation_size('people') / 8192 AS b")).rows[0].b as number;
    const run = await applyMasking({ withDb, policy, key, reporter, jobs: 2, sliceBlocks: 10 });
    // The test's premise: rows of the lower block range now live in the upper one (before its end).
    const moved = await scratch.sql(
      "slices",
      "SELECT count(*)::int AS n FROM people WHERE id <= 2000 AND (ctid::text::point)[0] >= $1 AND (ctid::text::point)[0] < $2",
      [Math.ceil(blocks / 2), blocks],
    );
    expect(moved.rows[0].n).toBeGreaterThan(100);
    expect(infos.some((m) => /^Masked slices\.public\.people: born \(dateShift\) — 3000 rows \(2 block ranges at once\)$/.test(m))).toBe(true);
    expect(run.rowsChanged).toBe(3000);

    const born = policy.rules.find((r) => r.column === "born")!;
    const rows = (
      await scratch.sql(
        "slices",
        "SELECT id, o.born::text AS old_born, p.born::text AS new_born, o.name AS old_name, p.name AS new_name FROM people p JOIN originals o USING (id)",
      )
    ).rows as { id: number; old_born: string; new_born: string; old_name: string; new_name: string }[];
    expect(rows).toHaveLength(4500);
    const shifted = (d: string) => {
      const t = new Date(`${d}T00:00:00Z`);
      t.setUTCDate(t.getUTCDate() + Number(maskValue(key, born.family, born, d)));
      return t.toISOString().slice(0, 10);
    };
    const wrong = rows.filter((r) => r.new_born !== (r.id <= 3000 ? shifted(r.old_born) : r.old_born) || r.new_name !== r.old_name);
    expect(wrong).toEqual([]);
    // The test's premise: shifting twice would differ (some shifts are not 0).
    expect(rows.some((r) => r.new_born !== r.old_born)).toBe(true);
  }, 300_000);

  it("fails when a slice fails, and no slice waits for one that never started", async () => {
    await scratch.sql("slices", "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t SELECT g, 0 FROM generate_series(1, 1000) g");
    const slices = [
      { from: 0, to: 3 },
      { from: 3, to: 1000 },
    ];
    const update = async (c: pg.Client, s: { from: number; to: number }) => {
      if (s.from > 0) throw new Error("slice failed");
      return (await c.query(`UPDATE t SET v = 1 WHERE ctid >= '(${s.from},0)'::tid AND ctid < '(${s.to},0)'::tid`)).rowCount ?? 0;
    };
    await expect(runSlices(slices, (fn) => withDb("slices", fn), update)).rejects.toThrow("slice failed");
    await scratch.sql("slices", "UPDATE t SET v = 0"); // the other slice committed its own rows: the failure fails the build
    let opened = 0;
    const failingSession = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> =>
      ++opened === 2 ? Promise.reject(new Error("could not connect")) : withDb("slices", fn);
    await expect(runSlices(slices, failingSession, update)).rejects.toThrow("could not connect");
    // The slice that did start never updated: it waited for the other's snapshot and was told it failed.
    expect((await scratch.sql("slices", "SELECT count(*)::int AS n FROM t WHERE v = 1")).rows[0].n).toBe(0);
  }, 120_000);

  it("does not hang when one slice's unique index check waits for another slice's transaction", async () => {
    await scratch.sql("slices", "CREATE TABLE u (id int PRIMARY KEY, v int UNIQUE); INSERT INTO u VALUES (1, 1), (2, 2)");
    // Slice "b" moves row 2 off the value 2 at once; slice "a" then gives row 1 the value 2, whose
    // old row version b has not committed yet: PostgreSQL makes a wait for b's transaction to end.
    const update = async (c: pg.Client, s: { from: number; to: number }) => {
      if (s.from === 1) return (await c.query("UPDATE u SET v = 1002 WHERE id = 2")).rowCount ?? 0;
      await c.query("SELECT pg_sleep(0.5)");
      return (await c.query("UPDATE u SET v = 2 WHERE id = 1")).rowCount ?? 0;
    };
    const slices = [
      { from: 0, to: 1 },
      { from: 1, to: 2 },
    ];
    const done = await Promise.race([
      runSlices(slices, (fn) => withDb("slices", fn), update),
      new Promise<"hung">((r) => setTimeout(() => r("hung"), 15_000).unref()),
    ]);
    expect(done).toEqual([1, 1]);
    expect((await scratch.sql("slices", "SELECT id, v FROM u ORDER BY id")).rows).toEqual([
      { id: 1, v: 2 },
      { id: 2, v: 1002 },
    ]);
  }, 60_000);

  it("masks every row and refreshes every view even with look-alike pg_relation_size and format in the data", async () => {
    await scratch.sql("postgres", "CREATE DATABASE sizes");
    await scratch.sql(
      "sizes",
      `CREATE TABLE people (id int PRIMARY KEY, born date NOT NULL, pad text) WITH (autovacuum_enabled = off);
       INSERT INTO people SELECT g, date '2000-01-01' + (g % 50), repeat('x', 200) FROM generate_series(1, 3000) g;
       -- An exact match for pg_relation_size(oid): it beats pg_catalog's (regclass) whatever the search path.
       CREATE FUNCTION public.pg_relation_size(oid) RETURNS bigint LANGUAGE sql AS 'SELECT 8192::bigint * 20';
       -- And for format(text, name, name): it would name the decoy instead of the view holding originals.
       CREATE MATERIALIZED VIEW born_view AS SELECT id, born FROM people;
       CREATE MATERIALIZED VIEW decoy AS SELECT 1 AS one;
       CREATE FUNCTION public.format(text, name, name) RETURNS text LANGUAGE sql AS $f$ SELECT 'public.decoy' $f$;`,
    );
    const sizesPolicy = POLICY.replace("slices:", "sizes:").replace("where: id <= 3000\n        ", "");
    const policy = resolvePolicy(parsePolicy(sizesPolicy, "policy.yml"), undefined, await schemaFacts(withDb, await inventory(server)));
    const infos: string[] = [];
    const run = await applyMasking({ withDb, policy, key, reporter: { ...silentReporter, info: (m) => infos.push(m) }, jobs: 2, sliceBlocks: 10 });
    // The premise: the table was split by the understated count (20 blocks of ~90 real ones).
    expect(infos.some((m) => /^Masked sizes\.public\.people: .*\(2 block ranges at once\)$/.test(m))).toBe(true);
    expect(run.rowsChanged).toBe(3000);
    const stale = await scratch.sql("sizes", "SELECT count(*)::int AS n FROM born_view v JOIN people p USING (id) WHERE v.born <> p.born");
    expect(stale.rows[0].n).toBe(0);
  }, 120_000);
});
