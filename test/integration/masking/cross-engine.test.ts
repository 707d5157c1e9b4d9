// Cross-engine vectors: one policy and one key, masked for real by the PostgreSQL pipeline (build,
// publish, clone, read back) and by the SQL Server path against the fake executor; the recorded
// T-SQL (mapping rows + UPDATE … LEFT JOIN #map) is evaluated over the same original rows in JS.
// Both must give the same output, value for value, for every column and every row.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { buildImage } from "../../../packages/core/src/build/index.js";
import { createClone, teardownClones } from "../../../packages/core/src/clones/index.js";
import { maskSqlServer } from "../../../packages/core/src/engine/sqlserver/masking.js";
import { sqlServerSchemaFacts } from "../../../packages/core/src/engine/sqlserver/schema-facts.js";
import { parsePolicy, resolvePolicy } from "../../../packages/core/src/masking/index.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { FakeExecutor, StepLog } from "../../unit/sqlserver/fakes.js";
import { evaluateUpdates, type TextRow } from "../../unit/sqlserver/tsql-mask-evaluator.js";
import { makeWorld, psql, type World } from "../clones/fixture.js";
import { scratchServer, type Scratch } from "./fixture.js";

const KEY = Buffer.from("cross-engine-vector-key-0123456789");
const POLICY = `databases:
  people:
    tables:
      customers:
        columns:
          email: email
          full_name: fullName
          first_name: { transformer: firstName, locale: de }
          token: { transformer: hash, length: 20 }
          born: { transformer: dateShift, days: 90 }
          balance: { transformer: noise, percent: 15 }
`;
const COLUMNS = ["email", "full_name", "first_name", "token", "born", "balance"] as const;
const SELECT = `SELECT id, email, full_name, first_name, token, born::text AS born, balance::text AS balance FROM customers ORDER BY id`;

let scratch: Scratch;
let world: World;
let originals: (TextRow & { id: string })[];
let postgresMasked: (TextRow & { id: string })[];

const rows = (out: string) =>
  out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id, ...vals] = line.split("|");
      return { id: id!, ...Object.fromEntries(COLUMNS.map((c, i) => [c, vals[i] === "" ? null : vals[i]!])) } as TextRow & { id: string };
    });

beforeAll(async () => {
  scratch = await scratchServer();
  world = await makeWorld("dbclone-xengine-");
  await scratch.sql("postgres", "CREATE DATABASE people");
  // Unicode, apostrophes, repeats (one mapping per distinct value), NULLs, negative and boundary numbers, leap days.
  await scratch.sql(
    "people",
    `CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE, full_name text, first_name text, token text, born date, balance numeric(10,2));
     INSERT INTO customers VALUES
       (1, 'anne.o''neil@example.test', 'Anne O''Neil', 'Anne', 'tok-1', '1980-02-29', 1234.56),
       (2, 'jörg.müller@beispiel.test', 'Jörg Müller', 'Jörg', 'tok-2', '1999-12-31', -0.05),
       (3, 'ANNE.O''NEIL@example.test', 'Anne O''Neil', 'Anne', 'tok-1', '2000-01-01', 0.00),
       (4, NULL, NULL, NULL, NULL, NULL, NULL),
       (5, '李雷@例子.test', '李雷', '雷', 'tok-5', '1970-01-01', 99999999.99),
       (6, 'x@y.test', 'Anne O''Neil', 'Anne', 'tok-2', '2024-02-29', 7.50)`,
  );
  const dump = path.join(scratch.dir, "people.dump");
  await scratch.dump("people", dump);
  originals = rows((await scratch.sql("people", SELECT)).rows.map((r) => [r.id, ...COLUMNS.map((c) => r[c] ?? "")].join("|")).join("\n"));

  await buildImage({
    repository: world.repository,
    name: "people",
    version: "x1",
    home: world.home,
    reporter: silentReporter,
    sources: [{ kind: "dump", path: dump }],
    masking: { policy: parsePolicy(POLICY, "policy.yml"), key: { bytes: KEY, insecure: false } },
  });
  const clone = await createClone({ repository: world.repository, ref: "people:x1", home: world.home, reporter: silentReporter, ttlSeconds: 600 });
  try {
    const url = new URL(clone.credentials.connectionString);
    url.pathname = "/people";
    postgresMasked = rows(psql(url.toString(), SELECT.replace("SELECT id", "SELECT id::text").replace(/ AS (born|balance)/g, "")));
  } finally {
    await teardownClones({ home: world.home, reporter: silentReporter, id: clone.clone.id, repository: world.repository });
  }
}, 240_000);

afterAll(async () => {
  await world?.cleanup();
  await scratch?.close();
});

/** The SQL Server path for the same rows: facts and distinct values as SQL Server would return them. */
async function sqlServerMasked(): Promise<(TextRow & { id: string })[]> {
  const exec = new FakeExecutor(new StepLog());
  const type: Record<string, string> = {
    email: "nvarchar(200)",
    full_name: "nvarchar(200)",
    first_name: "nvarchar(50)",
    token: "varchar(20)",
    born: "date",
    balance: "decimal(10,2)",
  };
  exec.on("SELECT s.name AS [schema]", [
    [
      { schema: "dbo", table: "customers", column: "id", type: "int", nullable: false },
      ...COLUMNS.map((c) => ({ schema: "dbo", table: "customers", column: c, type: type[c], nullable: true })),
    ],
    [
      { schema: "dbo", table: "customers", column: "id" },
      { schema: "dbo", table: "customers", column: "email" },
    ],
    [],
  ]);
  for (const c of COLUMNS) {
    const values = [...new Set(originals.map((r) => r[c]).filter((v): v is string => v !== null))];
    exec.on(`t.[${c}]`, [values.map((v) => ({ v }))]);
  }
  const resolved = resolvePolicy(parsePolicy(POLICY, "policy.yml"), undefined, await sqlServerSchemaFacts(exec, ["people"]));
  await maskSqlServer({ exec, policy: resolved, key: KEY, reporter: silentReporter });
  const updates = evaluateUpdates(exec.batches);
  expect(updates).toHaveLength(1);
  expect(updates[0]!.table).toEqual(["people", "dbo", "customers"]);
  return originals.map((r) => updates[0]!.apply(r) as TextRow & { id: string });
}

describe("cross-engine masking vectors", () => {
  it("PostgreSQL (run for real) and the T-SQL path (evaluated) give identical outputs, value for value", async () => {
    const tsql = await sqlServerMasked();
    expect(postgresMasked).toHaveLength(originals.length);
    for (const [i, pg] of postgresMasked.entries()) {
      for (const c of COLUMNS) expect({ id: pg.id, column: c, value: tsql[i]![c] }).toEqual({ id: pg.id, column: c, value: pg[c] });
    }
    // And it really masked: every non-NULL value changed (noise may round back on tiny amounts), NULL stayed NULL.
    for (const [i, o] of originals.entries()) {
      for (const c of COLUMNS) {
        if (o[c] === null) expect(postgresMasked[i]![c]).toBeNull();
        else if (c !== "balance" || Math.abs(Number(o[c])) >= 1000) expect(postgresMasked[i]![c]).not.toBe(o[c]);
      }
    }
    expect(postgresMasked[0]!.full_name).toBe(postgresMasked[2]!.full_name);
    expect(postgresMasked[0]!.email).not.toBe(postgresMasked[2]!.email); // case matters: two inputs, two outputs
  });
});
