import { describe, expect, it } from "vitest";
import { maskSqlServer } from "../../../packages/core/src/engine/sqlserver/masking.js";
import { sqlServerSchemaFacts } from "../../../packages/core/src/engine/sqlserver/schema-facts.js";
import { NotSupportedError } from "../../../packages/core/src/errors.js";
import { mapFamily, parsePolicy, resolvePolicy } from "../../../packages/core/src/masking/index.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { FakeExecutor, StepLog } from "./fakes.js";
import { NASTY_DB, expectGolden, renderStatement } from "./golden.js";
import { evaluateUpdates, scaleDecimal } from "./tsql-mask-evaluator.js";

const KEY = Buffer.from("sqlserver-masking-test-key-0123456789");
const TABLE = "Cust]omer's tab 顧客";
const ORDERS = "orders";

/** sys.* rows for one database: two tables, an FK orders.[e-mail ]x] → customers.[e-mail ]x], a unique email. */
function factsRows() {
  const col = (table: string, column: string, type: string) => ({ schema: "dbo", table, column, type, nullable: true, rows: 3 });
  return [
    [
      col(TABLE, "e-mail ]x", "nvarchar(200)"),
      col(TABLE, "first name", "nvarchar(50)"),
      col(TABLE, "birth'day", "date"),
      col(TABLE, "balance", "decimal(10,2)"),
      col(TABLE, "note", "nvarchar(max)"),
      col(TABLE, "secret", "varchar(20)"),
      col(ORDERS, "e-mail ]x", "nvarchar(200)"),
      col("sessions", "token", "nvarchar(64)"),
      col("audit", "what", "nvarchar(64)"),
    ],
    [{ schema: "dbo", table: TABLE, column: "e-mail ]x" }],
    [{ from_schema: "dbo", from_table: ORDERS, from_column: "e-mail ]x", to_schema: "dbo", to_table: TABLE, to_column: "e-mail ]x" }],
  ];
}

const POLICY = `
databases:
  "${NASTY_DB.replace(/"/g, '\\"')}":
    truncate: [sessions]
    exclude: [audit]
    tables:
      "${TABLE}":
        where: "t.[note] <> N'internal'"
        columns:
          "e-mail ]x": email
          "first name": firstName
          "birth'day": { transformer: dateShift, days: 60 }
          balance: { transformer: noise, percent: 5 }
          note: { transformer: constant, value: "masked" }
          secret: "null"
`;

const DISTINCT = {
  email: ["ann@x.io", "bob@y.io", "ANN@x.io"],
  first: ["Ann", "Bob"],
  birth: ["1990-01-31", "2000-02-29"],
  balance: ["10.00", "-3.33"],
  orders: ["ann@x.io", "bob@y.io"],
};

async function setup(policyText = POLICY) {
  const log = new StepLog();
  const exec = new FakeExecutor(log)
    .on("SELECT s.name AS [schema]", factsRows())
    .on(`CAST(t.[e-mail ]]x] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2 AS v FROM [${NASTY_DB.replace(/]/g, "]]")}].[dbo].[Cust]]omer's tab 顧客]`, [
      DISTINCT.email.map((v) => ({ v })),
    ])
    .on("CAST(t.[e-mail ]]x] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2 AS v FROM", [DISTINCT.orders.map((v) => ({ v }))])
    .on("CAST(t.[first name] AS nvarchar(max)) COLLATE", [DISTINCT.first.map((v) => ({ v }))])
    .on("CONVERT(nvarchar(10), t.[birth'day], 23)", [DISTINCT.birth.map((v) => ({ v }))])
    .on("CAST(t.[balance] AS nvarchar(max)) COLLATE", [DISTINCT.balance.map((v) => ({ v }))]);
  const facts = await sqlServerSchemaFacts(exec, [NASTY_DB]);
  const resolved = resolvePolicy(parsePolicy(policyText, "policy.yml"), undefined, facts);
  exec.batches.length = 0;
  log.entries.length = 0;
  return { exec, log, resolved };
}

describe("SQL Server masking", () => {
  it("generates the batches in the golden file, names quoted and values only as parameters", async () => {
    const { exec, resolved } = await setup();
    const run = await maskSqlServer({ exec, policy: resolved, key: KEY, reporter: silentReporter });
    expectGolden("masking.sql", exec.batches.map(renderStatement).join("\n"));
    for (const b of exec.batches) for (const v of [...DISTINCT.email, ...DISTINCT.first]) expect(b.sql).not.toContain(v);
    expect(run.truncated).toEqual([`${NASTY_DB}.dbo.sessions`]);
    expect(run.excluded).toEqual([`${NASTY_DB}.dbo.audit`]);
    expect(run.rules.find((r) => r.column === "e-mail ]x" && r.table.endsWith(ORDERS))?.origin).toBe("foreign-key");
  });

  it("loads exactly the mapping the PostgreSQL code computes for each family", async () => {
    const { exec, resolved } = await setup();
    await maskSqlServer({ exec, policy: resolved, key: KEY, reporter: silentReporter });
    const rule = resolved.rules.find((r) => r.column === "e-mail ]x")!;
    const expected = mapFamily(KEY, rule.family, rule, new Set([...DISTINCT.email, ...DISTINCT.orders]), true);
    const loaded = new Map<string, string>();
    for (const b of exec.batches.filter((x) => x.sql.startsWith("INSERT INTO #dbclone_map_0 "))) {
      for (const [k, v] of Object.entries(b.params)) if (k.startsWith("o")) loaded.set(String(v), String(b.params[`m${k.slice(1)}`]));
    }
    expect(loaded).toEqual(new Map(DISTINCT.email.map((v) => [v, expected.get(v)!])));
  });

  it("keeps foreign keys off while masking and re-checks them after, and keeps NULL as NULL", async () => {
    const { exec, resolved } = await setup();
    await maskSqlServer({ exec, policy: resolved, key: KEY, reporter: silentReporter });
    const sqls = exec.batches.map((b) => b.sql);
    const off = sqls.findIndex((s) => s.includes("NOCHECK CONSTRAINT"));
    const on = sqls.findIndex((s) => s.includes("WITH CHECK CHECK CONSTRAINT"));
    const updates = sqls.flatMap((s, i) => (s.startsWith("UPDATE t SET") ? [i] : []));
    expect(updates).toHaveLength(2);
    expect(off).toBeLessThan(updates[0]!);
    expect(on).toBeGreaterThan(updates[1]!);
    expect(sqls.findIndex((s) => s.startsWith("DELETE FROM"))).toBeGreaterThan(off);

    const [customers, orders] = evaluateUpdates(exec.batches);
    expect(customers!.where).toBe("t.[note] <> N'internal'");
    const row = { "e-mail ]x": "ann@x.io", "first name": null, "birth'day": "2000-02-29", balance: "-3.33", note: null, secret: "s3cr3t" };
    const masked = customers!.apply(row);
    expect(masked["first name"]).toBeNull();
    expect(masked.note).toBeNull(); // constant without fillNulls keeps NULL
    expect(masked.secret).toBeNull();
    expect(masked["e-mail ]x"]).toBe(orders!.apply({ "e-mail ]x": "ann@x.io" })["e-mail ]x"]);
    expect(masked["e-mail ]x"]).not.toBe(customers!.apply({ ...row, "e-mail ]x": "ANN@x.io" })["e-mail ]x"]);
    expect(masked["birth'day"]).not.toBe("2000-02-29");
  });

  it("drops the mapping tables even when an UPDATE fails", async () => {
    const { exec, log, resolved } = await setup();
    log.failOn = "sql: UPDATE t SET";
    await expect(maskSqlServer({ exec, policy: resolved, key: KEY, reporter: silentReporter })).rejects.toThrow(
      /masking .*Cust]omer's tab 顧客 failed: injected failure.*where is/,
    );
    const created = exec.batches.filter((b) => b.sql.includes("CREATE TABLE #dbclone_map_")).length;
    const dropped = exec.batches.filter((b) => b.sql.startsWith("IF OBJECT_ID(N'tempdb..#dbclone_map_") && !b.sql.includes("CREATE")).length;
    expect(created).toBe(4);
    expect(dropped).toBe(4);
  });

  it("refuses shuffle before touching anything", async () => {
    const { exec, resolved } = await setup(POLICY.replace("firstName", "shuffle"));
    await expect(maskSqlServer({ exec, policy: resolved, key: KEY, reporter: silentReporter })).rejects.toThrow(NotSupportedError);
    expect(exec.batches).toHaveLength(0);
  });

  it("scales decimals the way a cast back to numeric rounds (half away from zero)", () => {
    expect(scaleDecimal("10.00", "1.02500000", 2)).toBe("10.25");
    expect(scaleDecimal("-3.33", "0.95000000", 2)).toBe("-3.16");
    expect(scaleDecimal("7", "1.50000000", 0)).toBe("11");
  });
});
