// Streamed masking on real PostgreSQL (cursor → worker pool → COPY → UPDATE … FROM): the outputs
// are byte-identical to the in-memory mapFamily() (kept here as the oracle) across chunk
// boundaries, unique families stay unique with forced collisions, keys still match across tables
// and databases, and a crashed mapping worker fails the build with nothing published.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { buildImage } from "../../../packages/core/src/build/index.js";
import { withAdmin } from "../../../packages/core/src/engine/postgres/client.js";
import { inventory } from "../../../packages/core/src/engine/postgres/inventory.js";
import { applyMasking } from "../../../packages/core/src/engine/postgres/masking/apply-masking.js";
import { schemaFacts } from "../../../packages/core/src/engine/postgres/masking/schema-facts.js";
import { jsOrderKey } from "../../../packages/core/src/engine/postgres/masking/stream-family.js";
import type { RunningServer } from "../../../packages/core/src/engine/types.js";
import { BuildError } from "../../../packages/core/src/errors.js";
import { collectOriginals, parsePolicy } from "../../../packages/core/src/masking/index.js";
import { resolvePolicy, type ResolvedPolicy } from "../../../packages/core/src/masking/policy/resolve-policy.js";
import type { ResolvedRule } from "../../../packages/core/src/masking/policy/types.js";
import { mapFamily, maskValue } from "../../../packages/core/src/masking/transformers/family-mapping.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";
import { openRepository } from "../../../packages/core/src/repository/index.js";
import { processesUnder } from "../clones/fixture.js";
import { forceCleanup } from "../disk/cleanup.js";
import { loopsUnder, mountsUnder } from "../../faults/leaks.js";
import { scratchServer, SHOP_POLICY, type Scratch } from "./fixture.js";

const key = Buffer.from("streaming-test-key-0123456789");
// Characters where JS (UTF-16) order and byte order differ: U+E000…U+FFFF against ≥ U+10000.
const ODD = ["\u{E000}", "\u{FFFD}", "\u{FFFF}", "\u{10000}", "\u{1F600}", "\u{10FFFF}", "é", "Z"];
let scratch: Scratch;
let server: RunningServer;

const POLICY = `databases:
  shop:
    tables:
      customers:
        columns:
          email: email
          nick: { transformer: firstName, unique: true }
          city: { transformer: address, part: city }
  crm:
    tables:
      contacts:
        columns:
          email: email
`;

beforeAll(async () => {
  scratch = await scratchServer();
  server = { ...scratch.server, host: "" };
  await scratch.sql("postgres", "CREATE DATABASE shop");
  await scratch.sql("postgres", "CREATE DATABASE crm");
  await scratch.sql(
    "shop",
    `CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE NOT NULL, nick text UNIQUE, city text);
     CREATE TABLE orders (id int PRIMARY KEY, customer_email text REFERENCES customers (email));
     CREATE TABLE originals (id int PRIMARY KEY, email text, nick text, city text);`,
  );
  await scratch.sql("crm", "CREATE TABLE contacts (id int PRIMARY KEY, email text); CREATE TABLE originals (id int PRIMARY KEY, email text);");
}, 120_000);

afterAll(async () => {
  await scratch?.close();
});

async function resolved(): Promise<ResolvedPolicy> {
  const withDb = <T>(db: string, fn: (c: pg.Client) => Promise<T>) => withAdmin(server, db, fn);
  return resolvePolicy(parsePolicy(POLICY, "policy.yml"), undefined, await schemaFacts(withDb, await inventory(server)));
}

const rule = (p: ResolvedPolicy, table: string, column: string): ResolvedRule => p.rules.find((r) => r.table === table && r.column === column)!;

describe("streamed masking (PostgreSQL)", () => {
  it("orders values exactly as JavaScript sorts them, whatever characters they hold", async () => {
    const values: string[] = [];
    for (const a of ODD) for (const b of ODD) values.push(`${a}${b}`, `x${a}`, `${b}`);
    const sql = `SELECT v FROM (SELECT DISTINCT v FROM unnest($1::text[]) v) d ORDER BY ${jsOrderKey("v")}`;
    const fromServer = (await scratch.sql("shop", sql, [values])).rows.map((r) => r.v as string);
    expect(fromServer).toEqual([...new Set(values)].sort());
    // And the plain byte order would not: the test data does cross the difference.
    const bytes = (await scratch.sql("shop", `SELECT v FROM (SELECT DISTINCT v FROM unnest($1::text[]) v) d ORDER BY v COLLATE "C"`, [values])).rows.map(
      (r) => r.v as string,
    );
    expect(bytes).not.toEqual(fromServer);
  });

  it("gives the in-memory mapping's outputs across chunk boundaries, unique with forced collisions, consistent across tables and databases", async () => {
    const policy = await resolved();
    const email = rule(policy, "customers", "email");
    const nick = rule(policy, "customers", "nick");
    // A forced collision: one input is exactly what another input maps to first.
    const victim = "victim.person@collide.test";
    const planted = maskValue(key, email.family, email, victim);
    const emails = [victim, planted, ...Array.from({ length: 240 }, (_, i) => `person${i}${ODD[i % ODD.length]}@example.test`)];
    // Unique first-name-like nicks: faker has few first names, so outputs collide with each other often.
    const nicks = emails.map((_, i) => `${ODD[i % ODD.length]}nick${i}`);
    await scratch.sql("shop", "INSERT INTO customers SELECT i, e, n, 'City' || (i % 7) FROM unnest($1::text[], $2::text[]) WITH ORDINALITY u(e, n, i)", [
      emails,
      nicks,
    ]);
    await scratch.sql("shop", "INSERT INTO originals SELECT id, email, nick, city FROM customers");
    await scratch.sql("shop", "INSERT INTO orders SELECT id * 10 + k, email FROM customers, generate_series(1, 2) k");
    // crm shares the email family: every third customer's email, plus one crm-only address.
    await scratch.sql("crm", "INSERT INTO contacts SELECT i, e FROM unnest($1::text[]) WITH ORDINALITY u(e, i)", [
      [...emails.filter((_, i) => i % 3 === 0), "crm.only@example.test"],
    ]);
    await scratch.sql("crm", "INSERT INTO originals SELECT * FROM contacts");

    const withDb = <T>(db: string, fn: (c: pg.Client) => Promise<T>) => withAdmin(server, db, fn);
    const updates: { label: string; done: number; total?: number }[] = [];
    const finished: string[] = [];
    const reporter: Reporter = {
      ...silentReporter,
      progress: (label, total) => {
        updates.push({ label, done: 0, total });
        return { update: (done, t) => updates.push({ label, done, total: t ?? total }), finish: () => finished.push(label) };
      },
    };
    const run = await applyMasking({ withDb, policy, key, reporter, jobs: 2, chunkSize: 7 });
    // Progress: the mapping counts up to the distinct values of all families, never backwards; every display ends.
    const mapping = updates.filter((u) => u.label === "Masking: mapping distinct values");
    expect(mapping.length).toBeGreaterThan(10);
    mapping.reduce((prev, u) => {
      expect(u.done).toBeGreaterThanOrEqual(prev);
      return u.done;
    }, 0);
    expect(mapping.at(-1)).toEqual({ label: mapping[0]!.label, done: run.distinctValues, total: run.distinctValues });
    expect(finished.sort()).toEqual(["Masking: mapping distinct values", "Masking: reading distinct values", "Masking: updating tables"]);

    const pairs = async (db: string, table: string, column: string) =>
      (await scratch.sql(db, `SELECT o.${column} AS old, t.${column} AS new FROM ${table} t JOIN originals o USING (id) WHERE o.${column} IS NOT NULL`))
        .rows as { old: string; new: string }[];
    const shopEmails = await pairs("shop", "customers", "email");
    const crmEmails = await pairs("crm", "contacts", "email");
    const oracleEmail = mapFamily(key, email.family, email, new Set([...shopEmails, ...crmEmails].map((p) => p.old)), true);
    for (const p of [...shopEmails, ...crmEmails]) expect(p.new).toBe(oracleEmail.get(p.old));
    expect(oracleEmail.get(victim)).not.toBe(planted); // the collision was resolved by a later attempt
    expect(new Set(shopEmails.map((p) => p.new)).size).toBe(shopEmails.length);

    const nickPairs = await pairs("shop", "customers", "nick");
    const oracleNick = mapFamily(key, nick.family, nick, new Set(nickPairs.map((p) => p.old)), true);
    const retried = nickPairs.filter((p) => p.new !== maskValue(key, nick.family, nick, p.old)).length;
    expect(retried).toBeGreaterThanOrEqual(5); // collisions happened (10 with this key), across chunks of 7
    for (const p of nickPairs) expect(p.new).toBe(oracleNick.get(p.old));
    expect(new Set(nickPairs.map((p) => p.new)).size).toBe(nickPairs.length);

    const cities = await pairs("shop", "customers", "city");
    const cityRule = rule(policy, "customers", "city");
    for (const p of cities) expect(p.new).toBe(maskValue(key, cityRule.family, cityRule, p.old));

    // Foreign keys: every order's email is a (masked) customer email; the FK holds again.
    const orphans = await scratch.sql("shop", "SELECT count(*)::int AS n FROM orders o LEFT JOIN customers c ON c.email = o.customer_email WHERE c.id IS NULL");
    expect(orphans.rows[0].n).toBe(0);
    expect((await scratch.sql("shop", "SELECT count(*)::int AS n FROM orders")).rows[0].n).toBe(emails.length * 2);

    // The leak scan's originals, collected from the stream: the same set as from whole columns.
    const expected = collectOriginals([
      {
        source: { database: "shop", schema: "public", table: "customers", column: "email", distinct: shopEmails.length },
        values: shopEmails.map((p) => p.old),
      },
      { source: { database: "shop", schema: "public", table: "customers", column: "nick", distinct: nickPairs.length }, values: nickPairs.map((p) => p.old) },
      { source: { database: "shop", schema: "public", table: "customers", column: "city", distinct: 7 }, values: cities.map((p) => p.old) },
      { source: { database: "crm", schema: "public", table: "contacts", column: "email", distinct: crmEmails.length }, values: crmEmails.map((p) => p.old) },
    ]);
    expect(run.originals.searched).toBe(expected.searched);
    expect(run.originals.distinctTotal).toBe(expected.distinctTotal);
    expect(run.originals.patterns.size).toBe(expected.patterns.size);
    expect(run.originals.sources.map((s) => [s.table, s.column, s.distinct, s.rows]).sort()).toEqual(
      [
        ["orders", "customer_email", shopEmails.length, shopEmails.length * 2], // the FK child inherits the email rule
        ["customers", "email", shopEmails.length, shopEmails.length],
        ["customers", "nick", nickPairs.length, nickPairs.length],
        ["customers", "city", 7, cities.length],
        ["contacts", "email", crmEmails.length, crmEmails.length],
      ].sort(),
    );
    // A one-column family's leak-scan source is set in Node, not read per value: every nick
    // (a high-cardinality column of its own) counts by the nick column, first and strongest.
    const nickSource = run.originals.sources.findIndex((s) => s.table === "customers" && s.column === "nick");
    const strongestOf = new Map<string, [number, number]>();
    for (let i = 0; i < run.originals.patterns.size; i++) {
      const tag = run.originals.patterns.tags[i]!;
      if (tag & 1) continue; // the UTF-16 form
      const id = tag >>> 1;
      strongestOf.set(Buffer.from(run.originals.patterns.pattern(i)).toString("utf8"), [run.originals.sourceOf[id]!, run.originals.strongestSourceOf[id]!]);
    }
    for (const n of nickPairs.map((p) => p.old)) expect(strongestOf.get(n), n).toEqual([nickSource, nickSource]);
    // The mapping tables (they hold originals) are gone from every database.
    for (const db of ["shop", "crm"])
      expect((await scratch.sql(db, "SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'dbclone_masking_%'")).rows[0].n).toBe(0);
    expect(run.jobs).toBe(2);
  }, 300_000);
});

describe("a family of several columns in one database", () => {
  it("is grouped in one pass with the same outputs, counts and leak-scan originals as column by column", async () => {
    await scratch.sql("postgres", "CREATE DATABASE onedb");
    await scratch.sql(
      "onedb",
      `CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE, city text);
       CREATE TABLE orders (id int PRIMARY KEY, customer_email text REFERENCES customers (email), note text);
       INSERT INTO customers SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'p' || g || '${ODD[2]}@one.test' END, 'C' || (g % 5) FROM generate_series(1, 120) g;
       INSERT INTO orders SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE (SELECT email FROM customers WHERE id = 1 + g % 60) END, 'n' FROM generate_series(1, 300) g;
       CREATE TABLE originals AS SELECT 'c' || id AS k, email AS v FROM customers UNION ALL SELECT 'o' || id, customer_email FROM orders;`,
    );
    const withDb = <T>(db: string, fn: (c: pg.Client) => Promise<T>) => withAdmin(server, db, fn);
    const policy = resolvePolicy(
      parsePolicy("databases:\n  onedb:\n    tables:\n      customers:\n        columns:\n          email: email\n", "policy.yml"),
      undefined,
      await schemaFacts(withDb, await inventory(server)),
    );
    const email = rule(policy, "customers", "email");
    const child = rule(policy, "orders", "customer_email");
    expect(child.family).toBe(email.family); // the FK child joins the family: two members, one database
    const debug: string[] = [];
    const run = await applyMasking({ withDb, policy, key, reporter: { ...silentReporter, debug: (m) => debug.push(m) }, jobs: 2, chunkSize: 7 });
    const pairs = (
      await scratch.sql(
        "onedb",
        `SELECT o.v AS old, coalesce(c.email, r.customer_email) AS new FROM originals o
         LEFT JOIN customers c ON o.k = 'c' || c.id LEFT JOIN orders r ON o.k = 'o' || r.id`,
      )
    ).rows as { old: string | null; new: string | null }[];
    const inputs = new Set(pairs.flatMap((p) => (p.old === null ? [] : [p.old])));
    const oracle = mapFamily(key, email.family, email, inputs, true);
    for (const p of pairs) expect(p.new).toBe(p.old === null ? null : oracle.get(p.old));
    const count = async (sql: string) => (await scratch.sql("onedb", sql)).rows[0].n as number;
    const [custDistinct, custRows] = [
      await count("SELECT count(DISTINCT v)::int AS n FROM originals WHERE k LIKE 'c%'"),
      await count("SELECT count(v)::int AS n FROM originals WHERE k LIKE 'c%'"),
    ];
    const [ordDistinct, ordRows] = [
      await count("SELECT count(DISTINCT v)::int AS n FROM originals WHERE k LIKE 'o%'"),
      await count("SELECT count(v)::int AS n FROM originals WHERE k LIKE 'o%'"),
    ];
    expect(ordRows).toBeGreaterThan(ordDistinct); // the child repeats values: distinct and row counts differ
    expect(run.originals.sources.map((x) => [x.table, x.column, x.distinct, x.rows]).sort()).toEqual(
      [
        ["customers", "email", custDistinct, custRows],
        ["orders", "customer_email", ordDistinct, ordRows],
      ].sort(),
    );
    expect(run.distinctValues).toBe(inputs.size);
    expect(run.originals.distinctTotal).toBe(inputs.size);
    expect(run.rules.find((r) => r.column === "customer_email")?.distinctValues).toBe(ordDistinct);
    // One GROUP BY for the family: no per-column staging table was made.
    expect(debug.filter((m) => m.includes("staged the distinct values"))).toHaveLength(1);
  }, 120_000);
});

describe("a mapping worker that crashes", () => {
  it("fails the build cleanly: a BuildError, nothing published, no work directory left", async () => {
    await scratch.sql("postgres", "CREATE DATABASE crashshop");
    await scratch.sql(
      "crashshop",
      "CREATE TABLE customers (id int PRIMARY KEY, full_name text, email text UNIQUE, phone text, card text); INSERT INTO customers SELECT g, 'P' || g, 'p' || g || '@crash.test', '+1 555 ' || g, NULL FROM generate_series(1, 200) g",
    );
    const tmp = await mkdtemp(path.join(os.tmpdir(), "dbclone-crash-build-"));
    await chmod(tmp, 0o711);
    const dump = path.join(tmp, "crashshop.dump");
    await scratch.dump("crashshop", dump);
    const home = path.join(tmp, "home");
    const repository = await openRepository(path.join(tmp, "repo"));
    process.env.DBCLONE_TEST_CRASH_AT = "mapping-worker";
    try {
      const policy = SHOP_POLICY.replace(/ {4}crm:[\s\S]*$/, "").replace("shop:", "crashshop:");
      const failure = await buildImage({
        repository,
        name: "crash",
        version: "v1",
        home,
        reporter: silentReporter,
        sources: [{ kind: "dump", path: dump }],
        masking: { policy: parsePolicy(policy, "policy.yml"), key: { bytes: key, insecure: false } },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(BuildError);
      expect((failure as Error).message).toMatch(/masking worker thread stopped unexpectedly/);
      expect(await repository.list()).toEqual([]);
      // Nothing left on the machine either: the build's server, its disk daemon, mounts and loop devices.
      expect(processesUnder(tmp)).toEqual([]);
      expect(mountsUnder(tmp)).toEqual([]);
      expect(loopsUnder(tmp)).toEqual([]);
      expect(await readdir(path.join(home, "work")).catch(() => [])).toEqual([]);
    } finally {
      delete process.env.DBCLONE_TEST_CRASH_AT;
      // A failing build must not leak onto the machine through the test either.
      for (const pid of processesUnder(tmp)) process.kill(pid, "SIGKILL");
      forceCleanup(tmp);
      await rm(tmp, { recursive: true, force: true });
    }
  }, 300_000);
});
