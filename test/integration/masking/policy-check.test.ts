// A policy checked against the restored schema on real PostgreSQL before any row changes: rules a
// column's type cannot take and SQL that does not plan are PolicyErrors at file:line:column.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inventory } from "../../../packages/core/src/engine/postgres/inventory.js";
import { postgresMasking } from "../../../packages/core/src/engine/postgres/masking/target.js";
import { maskForBuild, parsePolicy, PolicyError } from "../../../packages/core/src/masking/index.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { scratchServer, type Scratch } from "./fixture.js";

const key = { bytes: Buffer.from("integration-test-key-0123456789"), insecure: false };
let scratch: Scratch;

beforeAll(async () => {
  scratch = await scratchServer();
  await scratch.sql("postgres", "CREATE DATABASE checks");
  await scratch.sql(
    "checks",
    `CREATE TABLE people (id int PRIMARY KEY, email text, born date, score numeric, note text);
     INSERT INTO people SELECT g, 'p' || g || '@example.test', date '1990-01-01' + g, g * 1.5, 'n' || g FROM generate_series(1, 50) g;`,
  );
});
afterAll(async () => {
  await scratch?.close();
});

const policyWith = (columns: string, extra = "") =>
  `databases:\n  checks:\n    tables:\n      people:\n${extra}        columns:\n          email: email\n${columns}`;

async function attempt(text: string) {
  const policy = parsePolicy(text, "policy.yml");
  const server = { ...scratch.server, host: "127.0.0.1" };
  return maskForBuild(postgresMasking(server), await inventory(server), { policy, key }, silentReporter);
}

async function expectUnchanged(): Promise<void> {
  const r = await scratch.sql("checks", "SELECT email, born::text, score::text, note FROM people WHERE id = 7");
  expect(r.rows[0]).toEqual({ email: "p7@example.test", born: "1990-01-08", score: "10.5", note: "n7" });
}

describe("policy checked against the restored schema, before masking", () => {
  it.each([
    [
      "dateShift on a text column",
      "          note: dateShift\n",
      /^policy\.yml:7:11: .*'dateShift' cannot produce public\.people\.note \(text\): dateShift works on date/,
    ],
    ["noise on a text column", "          note: noise\n", /^policy\.yml:7:11: .*'noise' cannot produce public\.people\.note \(text\)/],
    ["hash on an integer primary key", "          id: hash\n", /^policy\.yml:7:11: .*'hash' cannot produce public\.people\.id \(integer\)/],
    ["email on an integer", "          id: { transformer: email }\n", /^policy\.yml:7:11: .*'email' cannot produce public\.people\.id/],
  ])("%s is a PolicyError at the column's line", async (_name, columns, message) => {
    const failure = await attempt(policyWith(columns)).catch((e) => e);
    expect(failure).toBeInstanceOf(PolicyError);
    expect(failure.message).toMatch(message);
    await expectUnchanged();
  });

  it("an sql expression calling a missing function is a PolicyError naming it, found by EXPLAIN", async () => {
    const failure = await attempt(policyWith('          note: { transformer: sql, expression: "no_such_fn(t.note)" }\n')).catch((e) => e);
    expect(failure).toBeInstanceOf(PolicyError);
    expect(failure.message).toMatch(
      /^policy\.yml:7:11: .*the expression for public\.people\.note \(text\) does not work on the restored schema: function no_such_fn\(text\) does not exist/,
    );
    await expectUnchanged();
  });

  it("a where naming a missing column, and a constant the type cannot hold, are PolicyErrors too", async () => {
    const where = await attempt(policyWith("", "        where: nope > 3\n")).catch((e) => e);
    expect(where).toBeInstanceOf(PolicyError);
    expect(where.message).toMatch(/^policy\.yml:5:9: .*the where of public\.people does not work on the restored schema: column "nope" does not exist/);
    const constant = await attempt(policyWith("          born: { transformer: constant, value: not-a-date }\n")).catch((e) => e);
    expect(constant).toBeInstanceOf(PolicyError);
    expect(constant.message).toMatch(/^policy\.yml:7:11: .*the constant for public\.people\.born \(date\).*invalid input syntax for type date/);
    await expectUnchanged();
  });

  it("a second statement cannot ride along in an expression", async () => {
    const failure = await attempt(policyWith("          note: { transformer: sql, expression: \"'x'; DROP TABLE people; SELECT 'y'\" }\n")).catch((e) => e);
    expect(failure).toBeInstanceOf(PolicyError);
    expect((await scratch.sql("checks", "SELECT count(*)::int AS n FROM people")).rows[0].n).toBe(50);
  });

  it("a good policy with sql, noise, dateShift and a where passes the check and masks", async () => {
    const run = await attempt(
      policyWith(
        '          note: { transformer: sql, expression: "upper(t.note)" }\n          score: noise\n          born: dateShift\n',
        "        where: id > 0\n",
      ),
    );
    expect(run.run.rowsChanged).toBeGreaterThan(0);
  });
});
