// The gate's two counts (masking/build-step.ts scanDataFilesForLeaks, then leakScanOrFail with the
// prepared scan): residue in the data files, where PostgreSQL's page structure says what is live,
// and residue on the disk beyond what the data files hold. A synthetic data directory (heap pages
// built byte by byte in leak-scan/heap-page.ts) and a disk file stand in for the fresh and sealed
// disks; the masked data comes from fake-masking-target.ts.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { leakScanOrFail, maskForBuild, scanDataFilesForLeaks } from "../../../packages/core/src/masking/build-step.js";
import { LeakFoundError } from "../../../packages/core/src/masking/errors.js";
import { parsePolicy } from "../../../packages/core/src/masking/index.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";
import { FakeMaskingTarget } from "./fake-masking-target.js";
import { HEAP_XMIN_COMMITTED, heapPage, PAGE } from "./leak-scan/heap-page.js";

const EMAILS = ["mellie.kozey@example.org", "ann.lee@example.org", "bo.ekdahl@example.org"];
const NAMES = ["Mellie", "Annabel", "Bodhild"];
const POLICY = "databases:\n  shop:\n    tables:\n      customers:\n        columns: { email: email, first_name: firstName }\n";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-gate-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function prepared() {
  const target = new FakeMaskingTarget("shop", [
    {
      schema: "public",
      name: "customers",
      columns: { email: "text", first_name: "text" },
      rows: EMAILS.map((email, i) => ({ email, first_name: NAMES[i]! })),
    },
  ]);
  const step = await maskForBuild(
    target,
    target.databases(),
    { policy: parsePolicy(POLICY, "dbclone.yml"), key: { bytes: Buffer.alloc(32, 3), insecure: false } },
    silentReporter,
  );
  return { run: step.run, leak: step.leak! };
}

/** A data directory whose one relation file holds `page`; returns its root and the file's bytes. */
function dataDir(page: Buffer): { root: string; bytes: Buffer } {
  const root = path.join(dir, "pgdata");
  mkdirSync(path.join(root, "base", "5"), { recursive: true });
  writeFileSync(path.join(root, "base", "5", "16384"), page);
  return { root, bytes: readFileSync(path.join(root, "base", "5", "16384")) };
}

function disk(...parts: (string | Buffer)[]): string {
  const file = path.join(dir, "disk.img");
  writeFileSync(file, Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p))));
  return file;
}

/** A reporter that keeps the progress line's final words. */
function finishing(): Reporter & { finished: string[] } {
  const finished: string[] = [];
  return { ...silentReporter, finished, progress: () => ({ update: () => undefined, finish: (m?: string) => void finished.push(m ?? "") }) };
}

describe("the leak-scan gate's counts", () => {
  it("a dead tuple in a data file and an original on the disk outside the files: the files' residue stops the build, and the progress line counts both", async () => {
    const { run, leak } = await prepared();
    const { page } = heapPage([
      { data: Buffer.from(EMAILS[0]!) }, // live: the page says it is published (explained)
      { data: Buffer.from(EMAILS[1]!), xmax: 900, infomask: HEAP_XMIN_COMMITTED }, // deleted: residue
    ]);
    const { root, bytes } = dataDir(page);
    await scanDataFilesForLeaks(root, leak);
    expect([leak.files.hits, leak.files.unexplainedCount]).toEqual([2, 1]);
    const reporter = finishing();
    const e = await leakScanOrFail(disk(bytes, Buffer.alloc(64), NAMES[1]!, Buffer.alloc(64)), run, reporter, leak).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LeakFoundError);
    expect((e as Error).message).toMatch(
      /^the leak scan found 1 original value\(s\) stored in the final disk .*shop\.public\.customers\.email \(UTF-8\) in a table page/,
    );
    // 2 matches in the files, 1 of them explained; residue: 1 in the files + 1 outside them.
    expect(reporter.finished).toHaveLength(1);
    expect(reporter.finished[0]).toMatch(/^Leak scan: 8327 bytes, 6 values, 1 explained, 2 residue \(\d+ MB\/s\)$/);
  });

  it("the disk check names only what lies outside the data files: an original the files explain is not blamed", async () => {
    const { run, leak } = await prepared();
    const { root, bytes } = dataDir(heapPage([{ data: Buffer.from(EMAILS[2]!) }]).page); // live tuple
    await scanDataFilesForLeaks(root, leak);
    expect([leak.files.hits, leak.files.unexplainedCount]).toEqual([1, 0]);
    const reporter = finishing();
    const e = await leakScanOrFail(disk(bytes, Buffer.alloc(64), NAMES[2]!), run, reporter, leak).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LeakFoundError);
    const message = (e as Error).message;
    expect(message).toMatch(/^the leak scan found 1 original value\(s\) stored in the final disk/);
    expect(message).toContain("shop.public.customers.first_name (UTF-8) in the disk outside the data files");
    expect(message).not.toContain("customers.email");
    expect(message).toMatch(
      / A dead tuple, old index entry, kept WAL segment or free space still holds them: mask every column holding these values .* and build again\.$/,
    );
    expect(reporter.finished[0]).toMatch(/, 1 explained, 1 residue /);
  });

  it("a disk that holds exactly the data files passes, with the files' explained hit in its record", async () => {
    const { run, leak } = await prepared();
    const { root, bytes } = dataDir(heapPage([{ data: Buffer.from(EMAILS[2]!) }]).page);
    await scanDataFilesForLeaks(root, leak);
    const reporter = finishing();
    const result = await leakScanOrFail(disk(bytes), run, reporter, leak);
    expect(result).toMatchObject({ hits: 0, matches: 1, bytesScanned: PAGE, explained: expect.objectContaining({ "live-tuple": 1 }) });
    expect(reporter.finished[0]).toMatch(/^Leak scan: 8192 bytes, 6 values, 1 explained, 0 residue /);
  });
});
