// The leak scan a build prepares from its published data (masking/build-step.ts prepareLeakScan,
// then leakScanOrFail over a disk whose bytes the test chooses), against the in-memory engine side
// of fake-masking-target.ts: copies of masked data in unmasked columns stop the build, originals
// spilled past the memory budget are searched batch by batch, and a disk that stores an original
// stops it while one holding only what was published passes.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { leakScanOrFail, maskForBuild, prepareLeakScan, scanDataFilesForLeaks, type MaskingOptions } from "../../../packages/core/src/masking/build-step.js";
import { LeakFoundError, NothingToScanError } from "../../../packages/core/src/masking/errors.js";
import { collectOriginals, parsePolicy, storedForm, type MaskingRun } from "../../../packages/core/src/masking/index.js";
import type { OriginalSet } from "../../../packages/core/src/masking/leak-scan/originals.js";
import { NotSupportedError } from "../../../packages/core/src/errors.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";
import { FakeMaskingTarget, type FakeTable } from "./fake-masking-target.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-build-step-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const email = (i: number) => `customer.${String(i).padStart(3, "0")}@example.org`;
function tables(customers: number, extra: FakeTable[] = []): FakeTable[] {
  return [
    {
      schema: "public",
      name: "customers",
      columns: { email: "text", first_name: "text" },
      rows: Array.from({ length: customers }, (_, i) => ({ email: email(i), first_name: i % 2 ? "Annabel" : "Mellie" })),
    },
    ...extra,
  ];
}
const tickets = (...bodies: string[]): FakeTable => ({ schema: "public", name: "tickets", columns: { body: "text" }, rows: bodies.map((body) => ({ body })) });
const POLICY = "databases:\n  shop:\n    tables:\n      customers:\n        columns: { email: email, first_name: firstName }\n";

function recording(): Reporter & { said: string[] } {
  const said: string[] = [];
  return { ...silentReporter, said, info: (m: string) => said.push(`info ${m}`), warn: (m: string) => said.push(`warn ${m}`) };
}

async function mask(target: FakeMaskingTarget, yaml = POLICY, over: Partial<MaskingOptions> = {}, reporter: Reporter = silentReporter) {
  const opts: MaskingOptions = { policy: parsePolicy(yaml, "dbclone.yml"), key: { bytes: Buffer.alloc(32, 9), insecure: false }, ...over };
  return maskForBuild(target, target.databases(), opts, reporter);
}

function disk(...parts: (string | Buffer)[]): string {
  const file = path.join(dir, `disk-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p))));
  return file;
}

describe("copies of masked data in unmasked columns", () => {
  it("an unmasked column holding a masked email stops the build, naming both columns and never the value, and the originals go", async () => {
    const target = new FakeMaskingTarget("shop", tables(3, [tickets(`please reply to ${email(1)}`, "no personal data")]));
    const e = await mask(target).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LeakFoundError);
    const message = (e as Error).message;
    expect(message).toBe(
      "unmasked columns hold copies of masked personal data, so nothing was published: shop.public.tickets.body holds 1 value(s) of masked shop.public.customers.email. " +
        "Mask those columns too, or, if they are not personal data, list them under the table's notPersonal with a reason.",
    );
    expect(target.disposed).toBe(1);
  });

  it("a copy in catalog text (a comment on a table) also says to remove it in the source", async () => {
    const comment: FakeTable = {
      schema: "pg_catalog",
      name: "pg_description",
      columns: { description: "text" },
      rows: [{ description: `owner: ${email(0)}` }],
    };
    const e = await mask(new FakeMaskingTarget("shop", tables(2, [comment]))).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LeakFoundError);
    expect((e as Error).message).toMatch(
      /shop\.pg_catalog\.pg_description\.description holds 1 value\(s\).* Catalog text \(comments, view and function definitions, defaults\) is published as it is/,
    );
  });

  it("a copy in a column declared not personal, or of a low-cardinality column, is reported and does not fail", async () => {
    const target = new FakeMaskingTarget("shop", tables(4, [tickets(`escalated by ${email(2)}`, "Mellie called")]));
    const reporter = recording();
    const r = await mask(target, `${POLICY}      tickets:\n        columns: {}\n        notPersonal: { body: support agents' shared inbox }\n`, {}, reporter);
    expect(r.leak!.copies.map((c) => [c.source, c.verdict])).toEqual([
      ["shop.public.customers.email", "not-personal"],
      ["shop.public.customers.first_name", "reported"],
    ]);
    expect(
      reporter.said.filter((m) => m.startsWith("info Leak scan: values of masked columns also occur in unmasked columns (reported, not failing): ")),
    ).toHaveLength(1);
    const low = await mask(new FakeMaskingTarget("shop", tables(4, [tickets("Mellie called back")])), POLICY, {}, recording());
    expect(low.leak!.copies.map((c) => [c.column, c.verdict])).toEqual([["shop.public.tickets.body", "reported"]]);
  });

  it("a failed copy in a user's table beside one in catalog text gets the catalog hint; a user's table that is only named pg_catalog does not", async () => {
    const comment: FakeTable = {
      schema: "pg_catalog",
      name: "pg_description",
      columns: { description: "text" },
      rows: [{ description: `owner: ${email(0)}` }],
    };
    const both = await mask(new FakeMaskingTarget("shop", tables(2, [tickets(`re: ${email(1)}`), comment]))).catch((x: unknown) => x);
    expect((both as Error).message).toMatch(/shop\.pg_catalog\.pg_description\.description .*shop\.public\.tickets\.body .*Catalog text/);
    const named: FakeTable = { schema: "public", name: "pg_catalog", columns: { note: "text" }, rows: [{ note: `owner: ${email(0)}` }] };
    const user = await mask(new FakeMaskingTarget("shop", tables(2, [named]))).catch((x: unknown) => x);
    expect((user as Error).message).toMatch(/shop\.public\.pg_catalog\.note holds 1 value/);
    expect((user as Error).message).not.toContain("Catalog text");
  });

  it("a prepared scan asked of an engine that cannot read its published data back is refused", async () => {
    const target = new FakeMaskingTarget("shop", tables(2), { canReadPublished: false });
    const r = await mask(target);
    const e = await prepareLeakScan(target, r.resolved, r.run.originals, silentReporter).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NotSupportedError);
    expect((e as Error).message).toBe("internal: this engine cannot read its published data back for a prepared leak scan");
  });

  it("the published data is read with exactly the masked columns marked as masked", async () => {
    const target = new FakeMaskingTarget("shop", tables(2, [tickets("nothing here")]));
    await mask(target);
    expect([...target.maskedColumns].sort()).toEqual(["shop.public.customers.email", "shop.public.customers.first_name"]);
  });
});

describe("the prepared scan over the final disk", () => {
  it("a disk holding only the published (masked) values passes; one storing an original stops the build, naming its column", async () => {
    const target = new FakeMaskingTarget("shop", tables(3));
    const r = await mask(target);
    const published = target.tables[0]!.rows.flatMap((row) => Object.values(row).map((v) => storedForm(Buffer.from(v!)).bytes));
    const clean = await leakScanOrFail(disk(Buffer.alloc(512), ...published), r.run, silentReporter, r.leak);
    expect(clean).toMatchObject({ hits: 0, valuesSearched: 5, publishedValuesRead: 6 });
    const again = await mask(new FakeMaskingTarget("shop", tables(3)));
    const e = await leakScanOrFail(disk(Buffer.alloc(512), email(2), Buffer.alloc(64)), again.run, silentReporter, again.leak).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LeakFoundError);
    expect((e as Error).message).toContain("shop.public.customers.email");
    expect((e as Error).message).not.toContain(email(2));
  });
});

describe("originals past the memory budget", () => {
  const CUSTOMERS = 400;
  const budget = 2_000;

  it("read the published data from the engine once and match it in one pass; a copy of the last batch's original still stops the build", async () => {
    const target = new FakeMaskingTarget("shop", tables(CUSTOMERS, [tickets(`forwarded from ${email(CUSTOMERS - 1)}`)]));
    const reporter = recording();
    const e = await mask(target, POLICY, { originalsBudget: budget, jobs: 1 }, reporter).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LeakFoundError);
    expect((e as Error).message).toContain("shop.public.tickets.body holds 1 value(s) of masked shop.public.customers.email");
    const batches = target.originals!.batchCount;
    expect(batches).toBeGreaterThan(2);
    expect(target.calls.filter((c) => c === "readPublished")).toHaveLength(1);
    expect(
      reporter.said.some((l) => l.startsWith(`info Leak scan: ${CUSTOMERS + 2} original values, matched in one pass over one read of the published data (`)),
    ).toBe(true);
    expect(target.disposed).toBe(1);
  });

  it("keep the published data in a private file only while the batches are matched: gone after success and after a failure", async () => {
    const tmp = path.join(dir, "tmp");
    mkdirSync(tmp);
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // os.tmpdir(): the cache's parent, for this test only
    try {
      const seen = new Set<string>();
      const clean = new FakeMaskingTarget("shop", tables(CUSTOMERS));
      clean.duringRead = () => {
        for (const f of readdirSync(tmp)) if (f.startsWith("dbclone-published-")) seen.add(f);
      };
      const r = await mask(clean, POLICY, { originalsBudget: budget, jobs: 1 });
      expect(r.leak!.originals.batchCount).toBeGreaterThan(2);
      expect(seen.size).toBe(1); // the premise: it existed while the data was read
      expect(readdirSync(tmp).filter((f) => f.startsWith("dbclone-published-"))).toEqual([]);
      r.run.originals.dispose();
      const failing = new FakeMaskingTarget("shop", tables(CUSTOMERS, [tickets(`forwarded from ${email(0)}`)]));
      await expect(mask(failing, POLICY, { originalsBudget: budget, jobs: 1 })).rejects.toThrow(LeakFoundError);
      expect(readdirSync(tmp).filter((f) => f.startsWith("dbclone-published-"))).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
  });

  it("keep every temporary file (originals spill, published data, one-pass partitions) private under the build's work directory, and remove them", async () => {
    const work = path.join(dir, "work");
    mkdirSync(work);
    const ours = () =>
      readdirSync(work)
        .filter((f) => f.startsWith("dbclone-"))
        .sort();
    const target = new FakeMaskingTarget("shop", tables(CUSTOMERS));
    const during: string[][] = [];
    target.duringRead = () => void during.push(ours().map((f) => `${f.replace(/-\w+$/, "")} ${(statSync(path.join(work, f)).mode & 0o777).toString(8)}`));
    const r = await mask(target, POLICY, { originalsBudget: budget, jobs: 1, tempDir: work });
    expect(during[0]).toEqual(["dbclone-originals 700", "dbclone-published 700"]);
    expect(ours().map((f) => f.replace(/-\w+$/, ""))).toEqual(["dbclone-leak-index", "dbclone-originals"]); // kept for the data files and the disk
    mkdirSync(path.join(dir, "data"));
    writeFileSync(path.join(dir, "data", "16384"), Buffer.alloc(8192));
    await scanDataFilesForLeaks(path.join(dir, "data"), r.leak!);
    await leakScanOrFail(disk(Buffer.alloc(4096)), r.run, silentReporter, r.leak);
    expect(ours()).toEqual([]);
    const failing = new FakeMaskingTarget("shop", tables(CUSTOMERS, [tickets(`forwarded from ${email(0)}`)]));
    await expect(mask(failing, POLICY, { originalsBudget: budget, jobs: 1, tempDir: work })).rejects.toThrow(LeakFoundError);
    expect(ours()).toEqual([]);
  });

  it("a failure while the published data is read refuses to publish, and the file goes", async () => {
    const tmp = path.join(dir, "tmp");
    mkdirSync(tmp);
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const target = new FakeMaskingTarget("shop", tables(CUSTOMERS));
      let rows = 0;
      target.duringRead = () => {
        if (++rows === 150) throw new Error("connection terminated while reading the published data");
      };
      await expect(mask(target, POLICY, { originalsBudget: budget, jobs: 1 })).rejects.toThrow(/connection terminated/);
      expect(readdirSync(tmp).filter((f) => f.startsWith("dbclone-published-"))).toEqual([]);
      expect(target.disposed).toBe(1);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
  });

  it("an original of the last batch is found both as a copy in the published data and as residue in the data files", async () => {
    // Which email lands in the last batch depends on its hash: found on a clean build, then planted.
    const clean = await mask(new FakeMaskingTarget("shop", tables(CUSTOMERS)), POLICY, { originalsBudget: budget, jobs: 1 });
    let last: OriginalSet | undefined;
    for await (const batch of clean.run.originals.batches()) last = batch;
    const planted = Buffer.from(last!.patterns.pattern(0)).toString("utf8");
    clean.run.originals.dispose();
    expect(planted).toMatch(/^customer\.\d+@example\.org$/);
    const copied = mask(new FakeMaskingTarget("shop", tables(CUSTOMERS, [tickets(`forwarded from ${planted}`)])), POLICY, { originalsBudget: budget, jobs: 1 });
    await expect(copied).rejects.toThrow(/shop\.public\.tickets\.body holds 1 value\(s\) of masked shop\.public\.customers\.email/);
    const r = await mask(new FakeMaskingTarget("shop", tables(CUSTOMERS)), POLICY, { originalsBudget: budget, jobs: 1 });
    try {
      const root = path.join(dir, "pgdata");
      mkdirSync(path.join(root, "base", "5"), { recursive: true });
      writeFileSync(path.join(root, "base", "5", "16384"), Buffer.concat([Buffer.alloc(8192), Buffer.from(planted), Buffer.alloc(100)]));
      await scanDataFilesForLeaks(root, r.leak!);
      expect(r.leak!.files.unexplainedCount).toBe(1);
      expect(r.leak!.files.unexplained[0]!.source).toBe(0); // named by its column: customers.email
    } finally {
      r.run.originals.dispose();
    }
  });

  it("a spilled scan has no single plan; every batch is searched on the disk and the values read are counted once", async () => {
    const target = new FakeMaskingTarget("shop", tables(CUSTOMERS));
    const r = await mask(target, POLICY, { originalsBudget: budget, jobs: 1 });
    const leak = r.leak!;
    expect(leak.originals.batchCount).toBeGreaterThan(1);
    expect(() => leak.plan).toThrow(NothingToScanError);
    expect("plan" in { ...leak }).toBe(false);
    expect(leak.publishedValuesRead).toBe(CUSTOMERS * 2);
    const stored = email(CUSTOMERS - 1); // in the last batch of originals
    const e = await leakScanOrFail(disk(Buffer.alloc(100), stored, Buffer.alloc(100)), r.run, silentReporter, leak).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LeakFoundError);
    expect((e as Error).message).toMatch(/found 1 original value\(s\).*shop\.public\.customers\.email/);
    const clean = await mask(new FakeMaskingTarget("shop", tables(CUSTOMERS)), POLICY, { originalsBudget: budget, jobs: 1 });
    const result = await leakScanOrFail(disk(Buffer.alloc(4096)), clean.run, silentReporter, clean.leak);
    expect(result).toMatchObject({ hits: 0, valuesSearched: CUSTOMERS + 2, publishedValuesRead: CUSTOMERS * 2, bytesScanned: 4096 });
  });
});

describe("the scan of a disk without a prepared plan (an engine that cannot read its published data back)", () => {
  const ORIGINAL = "jane.original@corp.example";
  const run = (): MaskingRun => ({
    rules: [],
    rowsChanged: 0,
    truncated: [],
    excluded: [],
    originals: collectOriginals([
      { source: { database: "shop", schema: "public", table: "customers", column: "email", distinct: 1, rows: 1 }, values: [ORIGINAL] },
    ]),
    seconds: 0,
  });

  it("an original that a masked output contains is explained; its time and speed are reported consistently", async () => {
    const r = run();
    r.originals.markInsideOutput(Buffer.from(`x${ORIGINAL}x`)); // a masked value that happens to hold it
    const result = await leakScanOrFail(disk(Buffer.alloc(3000), ORIGINAL, Buffer.alloc(100)), r, silentReporter);
    expect(result).toMatchObject({ hits: 0, matches: 1, copies: [], copiesFailed: 0, publishedValuesRead: 0 });
    expect(result.explained["published-value"]).toBe(1);
    expect(result.seconds).toBeGreaterThanOrEqual(0);
    expect(result.seconds).toBeLessThan(60);
    expect(result.mbPerSecond).toBeCloseTo(result.bytesScanned / 1048576 / Math.max(result.seconds, 1e-6), 3);
    const e = await leakScanOrFail(disk(Buffer.alloc(3000), ORIGINAL), run(), silentReporter).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LeakFoundError);
  });
});

describe("the disk scan of spilled originals", () => {
  it("one pass over the disk for all batches, its progress counting up, and the spill removed afterwards", async () => {
    const target = new FakeMaskingTarget("shop", tables(400));
    const r = await mask(target, POLICY, { originalsBudget: 2_000, jobs: 1 });
    const passes = r.leak!.originals.batchCount;
    const labels: string[] = [];
    const updates: number[] = [];
    const reporter: Reporter = {
      ...silentReporter,
      progress: (label: string) => {
        labels.push(label);
        return { update: (done: number) => void updates.push(done), finish: () => undefined };
      },
    };
    await leakScanOrFail(disk(Buffer.alloc(4096)), r.run, reporter, r.leak);
    expect(passes).toBeGreaterThan(2);
    expect(labels).toEqual(["Leak scan: 402 original values in the base disk (one pass)"]);
    expect(updates.at(-1)).toBe(4096);
    for (let i = 1; i < updates.length; i++) expect(updates[i]!).toBeGreaterThanOrEqual(updates[i - 1]!);
    expect(target.disposed).toBe(1);
  });
});
