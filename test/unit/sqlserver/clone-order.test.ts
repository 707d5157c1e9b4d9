import { describe, expect, it } from "vitest";
import { cloneSqlServer, teardownSqlServer, type SqlServerCloneDeps } from "../../../packages/core/src/engine/sqlserver/clone.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { FakeDisk, FakeExecutor, FakeRunner, StepLog } from "./fakes.js";
import { NASTY_DB, expectGolden } from "./golden.js";

function setup(failAt?: number) {
  const log = new StepLog();
  log.failAt = failAt;
  const exec = new FakeExecutor(log).on("dm_server_services", [[{ account: "NT Service\\MSSQL$SQLEXPRESS", instance: "SQLEXPRESS" }]]);
  const deps: SqlServerCloneDeps = {
    exec,
    disk: new FakeDisk(log),
    runner: new FakeRunner(log),
    reporter: silentReporter,
    readLayout: async (m) => {
      log.record(`layout: read ${m}`);
      return {
        version: 1,
        databases: [
          {
            name: NASTY_DB,
            dir: "databases\\0-x",
            files: [
              { logicalName: "Sales_Data", path: "databases\\0-x\\f1.mdf", kind: "ROWS" },
              { logicalName: "Sales_Log", path: "databases\\0-x\\f2.ldf", kind: "LOG" },
            ],
          },
          { name: "Ops", dir: "databases\\1-Ops", files: [{ logicalName: "Ops", path: "databases\\1-Ops\\f1.mdf", kind: "ROWS" }] },
        ],
      };
    },
  };
  const clone = () => cloneSqlServer(deps, { cloneId: "c-abc23", baseFile: "C:\\cache\\base.vhdx", cloneDir: "C:\\clones\\c-abc23", password: "Pa'ss]w0rd" });
  return { log, deps, clone };
}

describe("SQL Server clone and teardown", () => {
  it("clones in order: child, mount, layout, service account, icacls, attach, login, users", async () => {
    const { log, clone, deps } = setup();
    const record = await clone();
    expect(record.databases).toEqual({ [NASTY_DB]: `${NASTY_DB}__c-abc23`, Ops: "Ops__c-abc23" });
    const cloneSteps = log.entries.length;
    await teardownSqlServer(deps, record);
    expectGolden("clone-steps.txt", `${log.entries.slice(0, cloneSteps).join("\n")}\n`);
    expectGolden("teardown-steps.txt", `${log.entries.slice(cloneSteps).join("\n")}\n`);
    // Per database: two detach batches and a DB_ID check; then the login; the disk only after.
    expect(log.entries.slice(cloneSteps).map((e) => e.replace(/ .*/, ""))).toEqual([...Array(7).fill("sql:"), "disk:", "disk:"]);
  });

  it("undoes a half-made clone in reverse, whichever step fails", async () => {
    const { log: okLog, clone: okClone } = setup();
    await okClone();
    const steps = okLog.entries;
    const report: string[] = [];
    for (let k = 0; k < steps.length; k++) {
      const { log, clone } = setup(k);
      await expect(clone()).rejects.toThrow(/injected failure/);
      const undo = log.entries.slice(k + 1);
      report.push(`fail at ${k}: ${steps[k]}`, ...undo.map((u) => `  undo: ${u}`));
      const done = steps.slice(0, k);
      if (done.some((s) => s.startsWith("disk: createChild"))) expect(undo.at(-1)).toBe("disk: destroy C:\\clones\\c-abc23\\child.vhdx");
      if (done.some((s) => s.startsWith("disk: mount"))) expect(undo).toContain("disk: unmount C:\\clones\\c-abc23\\child.vhdx from C:\\clones\\c-abc23\\mnt");
      if (done.some((s) => s.includes("CREATE LOGIN"))) expect(undo[0]).toMatch(/sys.dm_exec_sessions WHERE login_name/);
      for (const name of [`${NASTY_DB}__c-abc23`, "Ops__c-abc23"]) {
        if (done.some((s) => s.startsWith("sql: CREATE DATABASE") && s.includes(name.replace(/]/g, "]]")))) {
          expect(undo.some((u) => u.includes("sp_detach_db") && u.includes(`{db=${name}}`))).toBe(true);
        }
      }
    }
    expectGolden("clone-undo.txt", `${report.join("\n")}\n`);
  });

  it("finishes every teardown step even when one fails, then reports what was left", async () => {
    const { log, clone, deps } = setup();
    const record = await clone();
    log.failOn = "disk: unmount";
    await expect(teardownSqlServer(deps, record)).rejects.toThrow(/left work undone:\n- unmount child disk/);
    expect(log.entries.at(-1)).toBe("disk: destroy C:\\clones\\c-abc23\\child.vhdx");
  });

  it("refuses roles beyond the allowed set before touching anything", async () => {
    const { log, deps } = setup();
    await expect(cloneSqlServer(deps, { cloneId: "c-x", baseFile: "C:\\b.vhdx", cloneDir: "C:\\c", roles: ["db_owner"] })).rejects.toThrow(/db_owner/);
    expect(log.entries).toEqual([]);
  });
});
