import { describe, expect, it } from "vitest";
import { FakeDisk, FakeExecutor, StepLog } from "./fakes.js";
import { DIFF, FULL, LOG2, LOG3, header } from "./headers.js";
import { NASTY_DB, expectGolden } from "./golden.js";
import { WorkDirPaths, buildThroughPipeline, built, type PipelineHost } from "./pipeline-build.js";
import { quoteName } from "../../../packages/core/src/engine/sqlserver/quote.js";

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
  // The log spells the work directory C:\w; sys.master_files answers with paths on the build's
  // staging mount, wherever the test's home is.
  const paths = new WorkDirPaths();
  const execute = exec.execute.bind(exec);
  let stagingMount = "";
  exec.execute = async (sql, params = {}) => {
    if (typeof params.move0_to === "string") stagingMount ||= params.move0_to.slice(0, params.move0_to.indexOf("\\databases\\"));
    const result = await execute(paths.normalize(sql), params);
    return sql.includes("sys.master_files")
      ? result.map((rows) => rows.map((r) => ({ ...r, path: String(r.path).replace("C:\\w\\staging", stagingMount) })))
      : result;
  };
  const host: PipelineHost = {
    exec,
    disk: new FakeDisk(log),
    files: {
      makeDir: async (d) => log.record(`files: mkdir ${d}`),
      copyTree: async (a, b, o) => log.record(`files: copy ${a} -> ${b} except ${o?.excludeFiles?.join(", ")}`),
      moveFile: async (a, b) => log.record(`files: move ${a} -> ${b}`),
      writeText: async (f) => log.record(`files: write ${f}`),
    },
  };
  const run = async () => {
    const b = await buildThroughPipeline(host, {
      paths,
      sources: [
        { kind: "backup-chain", full: "C:\\bak\\full.bak", differential: "C:\\bak\\diff.bak", logs: ["C:\\bak\\l3.trn", "C:\\bak\\l2.trn"] },
        { kind: "backup-chain", full: "C:\\bak\\ops.bak" },
      ],
      diskSizeBytes: 8 << 30,
    });
    log.entries.splice(0, log.entries.length, ...log.entries.map(b.normalize));
    return b;
  };
  return { log, exec, run };
}

describe("SQL Server image build", () => {
  it("runs validate → restore → scrub → detach → fresh disk → rebuild log → seal, in this order", async () => {
    const { log, run, exec } = setup();
    const { layout, outcome } = await run();
    expect(outcome).toHaveProperty("result");
    expectGolden("build-steps.txt", `${log.entries.join("\n")}\n`);
    const at = (text: string) => log.entries.findIndex((e) => e.includes(text));
    expect(at("RESTORE HEADERONLY")).toBe(0);
    expect(at("createStaging C:\\w\\staging.vhdx")).toBeGreaterThan(log.entries.findLastIndex((e) => e.includes("HEADERONLY")));
    expect(at("sp_clean_db_free_space")).toBeLessThan(at("createStaging C:\\w\\fresh.vhdx"));
    expect(at("mount C:\\w\\fresh.vhdx at C:\\w\\staging")).toBeLessThan(at("CREATE DATABASE"));
    // After the seal only the build's cleanup stack runs: idempotent disk releases, no SQL (nothing is attached any more).
    const sealAt = at("disk: seal C:\\w\\fresh.vhdx");
    expect(sealAt).toBeGreaterThan(at("files: write"));
    expect(log.entries.slice(sealAt + 1).every((e) => /^disk: (unmount|destroy) /.test(e))).toBe(true);
    expect(layout!.databases.map((d) => d.name)).toEqual([NASTY_DB, "Ops"]);
    expect(layout!.databases[0]!.files[0]!.path).toBe("databases\\0-x\\f1.mdf");
    // Nothing is wrapped in a transaction around RESTORE / ATTACH.
    expect(exec.batches.some((b) => /BEGIN\s+TRAN/i.test(b.sql))).toBe(false);
  });

  it("undoes what was done, in reverse, whichever step fails", async () => {
    const { log: okLog, run: okRun } = setup();
    await okRun();
    // Up to the seal: after it the build has succeeded, and the rest is its cleanup stack's releases.
    const steps = okLog.entries.slice(0, okLog.entries.findIndex((e) => e.startsWith("disk: seal")) + 1);
    const report: string[] = [];
    for (let k = 0; k < steps.length; k++) {
      const { log, run } = setup(k);
      const b = await run();
      expect(() => built(b), `fail at ${steps[k]}`).toThrow(/injected failure/);
      const undo = log.entries.slice(k + 1);
      report.push(`fail at ${k}: ${steps[k]}`, ...undo.map((u) => `  undo: ${u}`));
      const done = steps.slice(0, k); // the failing step itself did not happen
      // Every disk created is deleted; every database restored or attached is detached after (by the
      // build's own steps or by the undo); no new work starts.
      for (const d of done.filter((s) => s.startsWith("disk: createStaging"))) expect(undo).toContain(`disk: destroy ${d.split(" ")[2]}`);
      const after = [...done, ...undo];
      for (const db of [NASTY_DB, "Ops"]) {
        const attached = after.findLastIndex(
          (s) => (s.startsWith("sql: RESTORE DATABASE @db FROM DISK") && s.includes(`{db=${db}}`)) || s.startsWith(`sql: CREATE DATABASE ${quoteName(db)} ON`),
        );
        if (attached >= 0) expect(after.slice(attached + 1).some((u) => u.includes("sp_detach_db") && u.includes(`{db=${db}}`))).toBe(true);
      }
      expect(undo.every((u) => /sp_detach_db|SINGLE_USER|disk: (unmount|destroy)/.test(u))).toBe(true);
    }
    expectGolden("build-undo.txt", `${report.join("\n")}\n`);
  });
});
