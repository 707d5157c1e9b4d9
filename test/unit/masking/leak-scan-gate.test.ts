// The raw-byte leak scan and its gate, on files whose content the test chooses: how many hits,
// where, what the message says (the column, never the value), and that one hit is enough to stop.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeHits, LeakFoundError, leakScanOrFail, scanFileForProbes, selectProbes, type MaskingRun } from "../../../packages/core/src/masking/index.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";

const source = { database: "shop", schema: "public", table: "customers", column: "email" };
const ORIGINAL = "jane.original@corp.example";
const probes = selectProbes([{ source, values: [ORIGINAL] }], []);
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
const run = (p = probes): MaskingRun => ({ rules: [], rowsChanged: 0, truncated: [], excluded: [], probes: p, seconds: 0 });

describe("scanFileForProbes", () => {
  it("finds every copy in UTF-8 and UTF-16LE, with offsets, keeping the first 20 as examples", async () => {
    const copies = Array.from({ length: 24 }, () => [zeros(100), Buffer.from(ORIGINAL, "utf8")]).flat();
    const file = disk(...copies, zeros(7), Buffer.from(ORIGINAL, "utf16le"));
    const seen: [number, number][] = [];
    const r = await scanFileForProbes(file, probes, (done, total) => seen.push([done, total]));
    const size = 24 * (100 + ORIGINAL.length) + 7 + 2 * ORIGINAL.length;
    expect(r).toMatchObject({ file, bytesScanned: size, probes: 1, hits: 25 });
    expect(r.examples).toHaveLength(20);
    expect(r.examples[0]).toMatchObject({ probe: { encoding: "utf8", source }, offset: 100 });
    expect(r.examples[1]!.offset).toBe(2 * 100 + ORIGINAL.length);
    expect(seen.at(-1)).toEqual([size, size]);
  });

  it("finds nothing in a clean disk", async () => {
    const r = await scanFileForProbes(disk(zeros(4096), Buffer.from("masked@example.org")), probes);
    expect(r).toMatchObject({ hits: 0, examples: [], bytesScanned: 4096 + 18 });
  });

  it("describes a hit by column, encoding and offset, never by the value", async () => {
    const r = await scanFileForProbes(disk(zeros(10), Buffer.from(ORIGINAL, "utf16le")), probes);
    expect(describeHits(r)).toBe("shop.public.customers.email (utf16le) at byte 10");
  });
});

describe("leakScanOrFail", () => {
  it("stops on a single hit, saying how many and where, without the value", async () => {
    const error = await leakScanOrFail(disk(zeros(64), Buffer.from(ORIGINAL)), run(), silentReporter).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeakFoundError);
    expect((error as Error).message).toBe(
      "the leak scan found 1 original value(s) in the final disk, so nothing was published: shop.public.customers.email (utf8) at byte 64. " +
        "Mask every column holding these values (including copies in other tables), then build again.",
    );
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
    const result = await leakScanOrFail(disk(zeros(1000)), run(), reporter);
    expect(result).toMatchObject({ hits: 0, probes: 1, bytesScanned: 1000 });
    expect(events[0]).toBe("start Leak scan: 1 original values in the base disk");
    expect(events).toContain("update 1000/1000");
    expect(events.at(-1)).toMatch(/^finish Leak scan: 1000 bytes, 1 values, 0 hits \(\d+ MB\/s\)$/);
  });
});
