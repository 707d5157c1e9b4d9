import { describe, expect, it } from "vitest";
import { buildSqlServerImage, type SqlServerBuildDeps } from "../../../packages/core/src/engine/sqlserver/build.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { FakeDisk, FakeExecutor, StepLog } from "./fakes.js";
import { DIFF, FULL, LOG2, LOG3, header } from "./headers.js";
import { NASTY_DB, expectGolden } from "./golden.js";

const SECOND = header({ type: 1, first: "900", last: "901", db: "Ops", family: "ops-family" });
const FILES = [
  { LogicalName: "Sales_Data", Type: "D", FileID: 1 },
  { LogicalName: "Sales_Log", Type: "L", FileID: 2 },
  { LogicalName: "Sales FS", Type: "S", FileID: 65537 },
];

function setup(failAt?: number) {
  const log = new StepLog();
  log.failAt = failAt;
  const exec = new FakeExecutor(log)
    .on("HEADERONLY", [[FULL]], "C:\\bak\\full.bak")
    .on("HEADERONLY", [[DIFF]], "C:\\bak\\diff.bak")
    .on("HEADERONLY", [[LOG2]], "C:\\bak\\l2.trn")
    .on("HEADERONLY", [[LOG3]], "C:\\bak\\l3.trn")
    .on("HEADERONLY", [[SECOND]], "C:\\bak\\ops.bak")
    .on("FILELISTONLY", [FILES])
    .on("sys.master_files", [
      [
        { logicalName: "Sales_Data", path: "C:\\w\\staging\\databases\\0-x\\f1.mdf", kind: "ROWS" },
        { logicalName: "Sales_Log", path: "C:\\w\\staging\\databases\\0-x\\f2.ldf", kind: "LOG" },
      ],
    ]);
  const deps: SqlServerBuildDeps = {
    exec,
    disk: new FakeDisk(log),
    files: {
      makeDir: async (d) => log.record(`files: mkdir ${d}`),
      copyTree: async (a, b, o) => log.record(`files: copy ${a} -> ${b} except ${o?.excludeFiles?.join(", ")}`),
      moveFile: async (a, b) => log.record(`files: move ${a} -> ${b}`),
      writeText: async (f) => log.record(`files: write ${f}`),
    },
    reporter: silentReporter,
  };
  const run = () =>
    buildSqlServerImage(deps, {
      sources: [
        { kind: "backup-chain", full: "C:\\bak\\full.bak", differential: "C:\\bak\\diff.bak", logs: ["C:\\bak\\l3.trn", "C:\\bak\\l2.trn"] },
        { kind: "backup-chain", full: "C:\\bak\\ops.bak" },
      ],
      workDir: "C:\\w",
      outFile: "C:\\images\\sales.vhdx",
      diskSizeBytes: 8 << 30,
    });
  return { log, exec, run };
}

describe("SQL Server image build", () => {
  it("runs validate → restore → scrub → detach → fresh disk → rebuild log → seal, in this order", async () => {
    const { log, run, exec } = setup();
    const result = await run();
    expectGolden("build-steps.txt", `${log.entries.join("\n")}\n`);
    const at = (text: string) => log.entries.findIndex((e) => e.includes(text));
    expect(at("RESTORE HEADERONLY")).toBe(0);
    expect(at("createStaging C:\\w\\staging.vhdx")).toBeGreaterThan(log.entries.findLastIndex((e) => e.includes("HEADERONLY")));
    expect(at("sp_clean_db_free_space")).toBeLessThan(at("createStaging C:\\w\\fresh.vhdx"));
    expect(at("mount C:\\w\\fresh.vhdx at C:\\w\\staging")).toBeLessThan(at("CREATE DATABASE"));
    expect(log.entries.at(-1)).toMatch(/^disk: seal C:\\w\\fresh\.vhdx/);
    expect(result.layout.databases.map((d) => d.name)).toEqual([NASTY_DB, "Ops"]);
    expect(result.layout.databases[0]!.files[0]!.path).toBe("databases\\0-x\\f1.mdf");
    // Nothing is wrapped in a transaction around RESTORE / ATTACH.
    expect(exec.batches.some((b) => /BEGIN\s+TRAN/i.test(b.sql))).toBe(false);
  });

  it("undoes what was done, in reverse, whichever step fails", async () => {
    const { log: okLog, run: okRun } = setup();
    await okRun();
    const steps = okLog.entries;
    const report: string[] = [];
    for (let k = 0; k < steps.length; k++) {
      const { log, run } = setup(k);
      await expect(run(), `fail at ${steps[k]}`).rejects.toThrow(/injected failure/);
      const undo = log.entries.slice(k + 1);
      report.push(`fail at ${k}: ${steps[k]}`, ...undo.map((u) => `  undo: ${u}`));
      const done = steps.slice(0, k); // the failing step itself did not happen
      // Every disk created is deleted; every database restore begun is detached; no new work starts.
      for (const d of done.filter((s) => s.startsWith("disk: createStaging"))) expect(undo).toContain(`disk: destroy ${d.split(" ")[2]}`);
      for (const db of [NASTY_DB, "Ops"]) {
        if (done.some((s) => s.startsWith("sql: RESTORE DATABASE @db FROM DISK") && s.includes(`{db=${db}}`))) {
          expect(undo.some((u) => u.includes("sp_detach_db") && u.includes(`{db=${db}}`))).toBe(true);
        }
      }
      expect(undo.every((u) => /sp_detach_db|SINGLE_USER|disk: (unmount|destroy)/.test(u))).toBe(true);
    }
    expectGolden("build-undo.txt", `${report.join("\n")}\n`);
  });
});
