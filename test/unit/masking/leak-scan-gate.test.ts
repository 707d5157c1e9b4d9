// The leak-scan gate on disks whose bytes the test chooses: one stored original is enough to stop a
// build, the message names the column (never the value), and a clean disk passes with its figures.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collectOriginals, LeakFoundError, leakScanOrFail, type MaskingRun } from "../../../packages/core/src/masking/index.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";

const source = { database: "shop", schema: "public", table: "customers", column: "email", distinct: 1, rows: 1, unique: true, transformer: "email" };
const ORIGINAL = "jane.original@corp.example";
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-leakscan-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function disk(...parts: Buffer[]): string {
  const file = path.join(dir, `disk-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, Buffer.concat(parts));
  return file;
}
const zeros = (n: number) => Buffer.alloc(n, 0);
const run = (): MaskingRun => ({
  rules: [],
  rowsChanged: 0,
  truncated: [],
  excluded: [],
  originals: collectOriginals([{ source, values: [ORIGINAL] }]),
  seconds: 0,
});

describe("leakScanOrFail", () => {
  it("stops on a single stored original, naming the column and never the value", async () => {
    const error = await leakScanOrFail(disk(zeros(64), Buffer.from(ORIGINAL), zeros(64)), run(), silentReporter).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeakFoundError);
    const message = (error as Error).message;
    expect(message).toMatch(/^the leak scan found 1 original value\(s\) stored in the final disk/);
    expect(message).toContain("shop.public.customers.email");
    expect(message).not.toContain(ORIGINAL);
  });

  it("stops on an original stored as UTF-16LE (how SQL Server keeps nvarchar)", async () => {
    const error = await leakScanOrFail(disk(zeros(10), Buffer.from(ORIGINAL, "utf16le"), zeros(10)), run(), silentReporter).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeakFoundError);
    expect((error as Error).message).toMatch(/found 1 original value\(s\)/);
  });

  it("passes a clean disk and reports the scan through the reporter's progress", async () => {
    const events: string[] = [];
    const reporter: Reporter = {
      ...silentReporter,
      progress(label) {
        events.push(`start ${label}`);
        return { update: (done, total) => events.push(`update ${done}/${total}`), finish: (m) => events.push(`finish ${m}`) };
      },
    };
    const result = await leakScanOrFail(disk(zeros(1000), Buffer.from("masked.value@example.org")), run(), reporter);
    expect(result).toMatchObject({ hits: 0, valuesSearched: 1, bytesScanned: 1024 });
    expect(events[0]).toBe("start Leak scan: 1 original values in the base disk");
    expect(events.at(-1)).toMatch(/^finish Leak scan: 1024 bytes, 1 values, 0 explained, 0 residue \(\d+ MB\/s\)$/);
  });
});
