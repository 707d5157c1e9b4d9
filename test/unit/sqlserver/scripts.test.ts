import path from "node:path";
import { describe, expect, it } from "vitest";
import { nString, quoteName } from "../../../packages/core/src/engine/sqlserver/quote.js";
import { splitBatches } from "../../../packages/core/src/engine/sqlserver/batches.js";
import { parseBackupHeader, validateBackupChain } from "../../../packages/core/src/engine/sqlserver/backup-chain.js";
import { databaseDir, moveTargets, parseFileList, restorePercent, restoreStatements } from "../../../packages/core/src/engine/sqlserver/restore-sql.js";
import { scrubScript } from "../../../packages/core/src/engine/sqlserver/scrub-sql.js";
import { attachCloneSql, attachRebuildLogSql, detachStatements } from "../../../packages/core/src/engine/sqlserver/attach-sql.js";
import { createLoginSql, createUserSql, dropLoginSql } from "../../../packages/core/src/engine/sqlserver/login-sql.js";
import { toMssqlConfig } from "../../../packages/core/src/engine/sqlserver/connection.js";
import { DIFF, FULL, LOG2, LOG3 } from "./headers.js";
import { NASTY_DB, expectGolden, renderStatement } from "./golden.js";

describe("quoting", () => {
  it("brackets identifiers and doubles ]", () => {
    expect(quoteName("a]b")).toBe("[a]]b]");
    expect(quoteName(NASTY_DB)).toBe("[Sales ]]DB' 販売 Ünïcode]");
    expect(() => quoteName("x".repeat(129))).toThrow(/128/);
  });
  it("writes N'' literals with ' doubled", () => {
    expect(nString("O'Brien ] 販売")).toBe("N'O''Brien ] 販売'");
  });
});

describe("GO splitter", () => {
  it("splits on GO alone on a line, with a count and a trailing comment", () => {
    expect(splitBatches("SELECT 1\nGO\nSELECT 2\n  go 3 -- thrice\nSELECT 3")).toEqual([
      { sql: "SELECT 1", repeat: 1 },
      { sql: "SELECT 2", repeat: 3 },
      { sql: "SELECT 3", repeat: 1 },
    ]);
  });
  it("ignores GO inside strings, quoted names and comments, and words that only start with GO", () => {
    const script = "SELECT 'a\nGO\nb'\nSELECT [x\nGO\ny]\n/* outer /* inner */\nGO\n*/\nSELECT \"q\nGO\"\nGOTO done\n-- GO\nGO";
    const batches = splitBatches(script);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.sql).toContain("GOTO done");
  });
  it("handles doubled quotes and CRLF", () => {
    expect(splitBatches("SELECT 'it''s'\r\nGO\r\nSELECT 2\r\n").map((b) => b.sql)).toEqual(["SELECT 'it''s'", "SELECT 2"]);
  });
});

describe("generated T-SQL (golden)", () => {
  const chain = validateBackupChain(parseBackupHeader(FULL, "C:\\bak\\full ' 販売.bak"), parseBackupHeader(DIFF, "C:\\bak\\diff.bak"), [
    parseBackupHeader(LOG3, "C:\\bak\\l3.trn"),
    parseBackupHeader(LOG2, "C:\\bak\\l2.trn"),
  ]);
  const files = parseFileList(
    [
      { LogicalName: "Sales]Data", Type: "D", FileID: 1 },
      { LogicalName: "Sales Data 2", Type: "D", FileID: 3 },
      { LogicalName: "Sales'Log", Type: "L", FileID: 2 },
      { LogicalName: "販売 FS", Type: "S", FileID: 65537 },
      { LogicalName: "ftcat", Type: "F", FileID: 65538 },
    ],
    "full.bak",
  );
  const targets = moveTargets(databaseDir("C:\\dbclone\\work\\staging", 0, NASTY_DB), files);

  it("restores with MOVE for every file, then diff, logs in LSN order, then RECOVERY", () => {
    expect(targets.map((t) => path.win32.basename(t.target))).toEqual([
      "f1-Sales]Data.mdf",
      "f3-Sales Data 2.ndf",
      "f2-Sales'Log.ldf",
      "f65537-販売 FS",
      "f65538-ftcat",
    ]);
    expectGolden("restore.sql", restoreStatements(NASTY_DB, chain, targets).map(renderStatement).join("\n"));
  });
  it("keeps every name out of the RESTORE text: all values are parameters", () => {
    for (const s of restoreStatements(NASTY_DB, chain, targets)) expect(s.sql).not.toMatch(/販売|Sales|bak/);
  });
  it("scrubs Query Store, change tracking/CDC, rebuilds, full-text, stats, SIMPLE + CHECKPOINT, FILESTREAM GC, ADR, free space last", () => {
    const script = scrubScript(NASTY_DB);
    expectGolden("scrub.sql", script);
    const steps = [
      "QUERY_STORE CLEAR",
      "DISABLE CHANGE_TRACKING",
      "sp_cdc_disable_db",
      "REBUILD;",
      "ALTER FULLTEXT CATALOG",
      "UPDATE STATISTICS",
      "RECOVERY SIMPLE",
      "CHECKPOINT;",
      "sp_filestream_force_garbage_collection",
      "sp_persistent_version_cleanup",
      "sp_clean_db_free_space",
    ];
    const order = steps.map((t) => script.indexOf(t));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(script.match(/is_memory_optimized = 0/g)).toHaveLength(2); // no REBUILD of a memory-optimized table (Msg 10794)
    expect(splitBatches(script)).toHaveLength(11);
  });
  it("attaches, detaches, creates logins and users with quoted names", () => {
    const attach = [
      { logicalName: "Sales]Data", path: "C:\\m\\databases\\0-x\\f1-Sales]Data.mdf" },
      { logicalName: "Sales'Log", path: "C:\\m\\O'Brien\\f2.ldf" },
    ];
    const text = [
      attachRebuildLogSql(NASTY_DB, attach.slice(0, 1)),
      attachCloneSql(`${NASTY_DB}__c-1`, attach),
      ...detachStatements(NASTY_DB).map(renderStatement),
      createLoginSql("dbclone_c-1", "p'w]d", NASTY_DB),
      createUserSql(NASTY_DB, "dbclone_c-1", ["db_datareader", "db_datawriter", "db_ddladmin"]),
      dropLoginSql("dbclone_c-1'x"),
    ].join("\nGO\n");
    expectGolden("attach-login.sql", `${text}\n`);
  });
  it("reads RESTORE STATS progress by message number, not by its words", () => {
    expect(restorePercent({ number: 3211, message: "40 Prozent verarbeitet." })).toBe(40);
    expect(restorePercent({ number: 4035, message: "Processed 10 pages" })).toBeUndefined();
  });
  it("connects with SQL auth or NTLM, TLS options, and no timeout for restores", () => {
    const sqlAuth = toMssqlConfig(
      { server: "localhost", instanceName: "SQLEXPRESS", auth: { kind: "sql", user: "sa", password: "x" }, trustServerCertificate: true },
      "restore",
    );
    expect(sqlAuth).toMatchObject({ user: "sa", requestTimeout: 0, options: { encrypt: true, trustServerCertificate: true, instanceName: "SQLEXPRESS" } });
    const ntlm = toMssqlConfig({ server: "db", port: 1433, auth: { kind: "ntlm", domain: "CORP", user: "u", password: "p" }, encrypt: false }, "query");
    expect(ntlm).toMatchObject({
      requestTimeout: 120_000,
      authentication: { type: "ntlm", options: { domain: "CORP", userName: "u" } },
      options: { encrypt: false },
    });
  });
});
