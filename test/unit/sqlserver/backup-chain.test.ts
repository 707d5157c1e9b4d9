import { describe, expect, it } from "vitest";
import { parseBackupHeader, validateBackupChain } from "../../../packages/core/src/engine/sqlserver/backup-chain.js";
import { SourceError } from "../../../packages/core/src/errors.js";
import { FakeDisk, FakeExecutor, StepLog } from "./fakes.js";
import { DIFF, FULL, LOG1, LOG2, LOG3, header } from "./headers.js";
import { buildThroughPipeline } from "./pipeline-build.js";

const h = (row: Record<string, unknown>, file: string) => parseBackupHeader(row, file);

describe("backup chain validation", () => {
  it("orders logs by LSN, drops those the differential covers, keeps the rest", () => {
    const chain = validateBackupChain(h(FULL, "full.bak"), h(DIFF, "diff.bak"), [h(LOG3, "l3.trn"), h(LOG1, "l1.trn"), h(LOG2, "l2.trn")]);
    expect(chain.logs.map((l) => l.file)).toEqual(["l2.trn", "l3.trn"]);
    expect(chain.full.firstLsn).toBe(37000000012300037n); // exact beyond 2^53
  });

  it("restores the whole log chain when there is no differential", () => {
    const chain = validateBackupChain(h(FULL, "full.bak"), undefined, [h(LOG2, "l2.trn"), h(LOG1, "l1.trn"), h(LOG3, "l3.trn")]);
    expect(chain.logs.map((l) => l.file)).toEqual(["l1.trn", "l2.trn", "l3.trn"]);
  });

  it("refuses a differential that is not based on this full backup", () => {
    const older = header({ type: 5, first: "37000000011000037", last: "37000000011100001", diffBase: "37000000001000037", diffBaseGuid: "older-full" });
    expect(() => validateBackupChain(h(FULL, "full.bak"), h(older, "diff.bak"), [])).toThrow(
      /differential diff\.bak .* is based on the full backup at LSN 37000000001000037/,
    );
  });

  it("refuses a gap in the log chain, naming both files", () => {
    expect(() => validateBackupChain(h(FULL, "full.bak"), undefined, [h(LOG1, "l1.trn"), h(LOG3, "l3.trn")])).toThrow(/gap between l1\.trn .* and l3\.trn/);
  });

  it("refuses logs that start after the restore point", () => {
    expect(() => validateBackupChain(h(FULL, "full.bak"), h(DIFF, "diff.bak"), [h(LOG3, "l3.trn")])).toThrow(
      /gap: the differential ends at LSN 37000000014200001/,
    );
  });

  it("refuses a log of another database or backup family", () => {
    const foreign = header({ ...{ type: 2 }, first: "37000000013000001", last: "37000000015000001", family: "00000000-0000-0000-0000-000000000001" });
    expect(() => validateBackupChain(h(FULL, "full.bak"), undefined, [h(LOG1, "l1.trn"), h(foreign, "other.trn")])).toThrow(
      /other\.trn .* belongs to database/,
    );
    const renamed = header({ type: 2, first: "37000000013000001", last: "37000000015000001", db: "Other" });
    expect(() => validateBackupChain(h(FULL, "full.bak"), undefined, [h(LOG1, "l1.trn"), h(renamed, "x.trn")])).toThrow(SourceError);
  });

  it("refuses a log passed as the full backup", () => {
    expect(() => validateBackupChain(h(LOG1, "l1.trn"), undefined, [])).toThrow(/not a full database backup/);
  });

  it.each([
    ["differential out of order", { differential: "diff-old.bak", logs: [] as string[] }],
    ["log gap", { logs: ["l1.trn", "l3.trn"] }],
    ["log of another database", { logs: ["l1.trn", "other.trn"] }],
  ])("stops on %s before any disk or RESTORE", async (_name, src) => {
    const log = new StepLog();
    const exec = new FakeExecutor(log)
      .on("HEADERONLY", [[FULL]], "full.bak")
      .on("HEADERONLY", [[header({ type: 5, first: "1", last: "2", diffBase: "0" })]], "diff-old.bak")
      .on("HEADERONLY", [[LOG1]], "l1.trn")
      .on("HEADERONLY", [[LOG3]], "l3.trn")
      .on("HEADERONLY", [[header({ type: 2, first: "37000000013000001", last: "37000000015000001", db: "Other", family: "f2" })]], "other.trn");
    const host = {
      exec,
      disk: new FakeDisk(log),
      files: { makeDir: async () => {}, copyTree: async () => {}, moveFile: async () => {}, writeText: async () => {} },
    };
    const { outcome } = await buildThroughPipeline(host, { sources: [{ kind: "backup-chain", full: "full.bak", ...src }], diskSizeBytes: 1 << 30 });
    expect("error" in outcome && outcome.error).toBeInstanceOf(SourceError);
    expect(log.entries.every((e) => e.startsWith("sql: RESTORE HEADERONLY"))).toBe(true);
  });
});
