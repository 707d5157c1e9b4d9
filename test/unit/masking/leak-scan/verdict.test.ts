// The leak scan's verdicts: a copy of a high-cardinality masked column fails the build unless the
// copying column is declared not personal; a low-cardinality one is reported. Messages name
// columns and counts, never a value.
import { beforeEach, describe, expect, it } from "vitest";
import type { CopyFinding } from "../../../../packages/core/src/masking/leak-scan/explain.js";
import { collectOriginals, HIGH_CARDINALITY_RATIO, type OriginalSet, type OriginalSource } from "../../../../packages/core/src/masking/leak-scan/originals.js";
import { emptyTally } from "../../../../packages/core/src/masking/leak-scan/residue-scan.js";
import { columnName, describeCopies, describeResidue, judgeCopies, leakScanRecord } from "../../../../packages/core/src/masking/leak-scan/verdict.js";

const src = (table: string, column: string, over: Partial<OriginalSource>): OriginalSource => ({
  database: "shop",
  schema: "public",
  table,
  column,
  distinct: 10,
  ...over,
});
const sources = [
  src("customers", "email", { transformer: "email", rows: 10 }), // high: identifies a person
  src("customers", "first_name", { transformer: "firstName", rows: 10 }), // low by nature
  src("orders", "ref", { distinct: 5, rows: 100 }), // low by its data: 5 %
];
// Built in each test, not at load (a "static" mutant to Stryker otherwise: docs/testing.md).
let originals: OriginalSet;
beforeEach(() => {
  originals = collectOriginals([
    { source: sources[0]!, values: ["mellie.kozey@example.org", "ann.lee@example.org"] },
    { source: sources[1]!, values: ["Mellie", "Annabel", "Bo"] },
    { source: sources[2]!, values: ["REF-000123"] },
  ]);
});
const copy = (table: string, column: string, bySource: [number, number[]][]): CopyFinding => ({
  database: "shop",
  schema: "public",
  table,
  column,
  bySource: new Map(bySource.map(([s, ids]) => [s, new Set(ids)])),
});

describe("judgeCopies", () => {
  it("a copy of a high-cardinality column fails; of a low-cardinality one is reported; declared not personal passes with its reason", () => {
    const copies = [
      copy("tickets", "body", [
        [1, [2]],
        [0, [0, 1]],
      ]),
      copy("audit", "who", [[0, [0]]]),
      copy("orders", "note", [[2, [4]]]),
    ];
    const out = judgeCopies(originals, copies, new Map([["shop.public.audit.who", "system account names"]]));
    expect(out).toEqual([
      {
        column: "shop.public.audit.who",
        source: "shop.public.customers.email",
        originals: 1,
        highCardinality: true,
        verdict: "not-personal",
        reason: "system account names",
      },
      { column: "shop.public.orders.note", source: "shop.public.orders.ref", originals: 1, highCardinality: false, verdict: "reported" },
      { column: "shop.public.tickets.body", source: "shop.public.customers.email", originals: 2, highCardinality: true, verdict: "failed" },
      { column: "shop.public.tickets.body", source: "shop.public.customers.first_name", originals: 1, highCardinality: false, verdict: "reported" },
    ]);
    expect(out[1]).not.toHaveProperty("reason");
  });

  it("a not-personal declaration does not turn a low-cardinality copy into a pass (it stays reported, with the reason)", () => {
    const out = judgeCopies(originals, [copy("t", "c", [[1, [2]]])], new Map([["shop.public.t.c", "names only"]]));
    expect(out).toEqual([
      {
        column: "shop.public.t.c",
        source: "shop.public.customers.first_name",
        originals: 1,
        highCardinality: false,
        verdict: "reported",
        reason: "names only",
      },
    ]);
  });

  it("a declaration for another column does not excuse this one", () => {
    const out = judgeCopies(originals, [copy("t", "c", [[0, [0]]])], new Map([["shop.public.t.other", "x"]]));
    expect(out[0]!.verdict).toBe("failed");
  });

  it("no copies, no records", () => {
    expect(judgeCopies(originals, [], new Map())).toEqual([]);
  });
});

describe("messages and the manifest record", () => {
  it("describeCopies names columns and counts, never a value", () => {
    const text = describeCopies(judgeCopies(originals, [copy("t", "c", [[0, [0, 1]]]), copy("u", "d", [[1, [2]]])], new Map()));
    expect(text).toBe(
      "shop.public.t.c holds 2 value(s) of masked shop.public.customers.email; shop.public.u.d holds 1 value(s) of masked shop.public.customers.first_name",
    );
    expect(text).not.toContain("mellie");
  });

  it("describeResidue names the source column, encoding, channel, offset and file; a batch's hit by its own source", () => {
    const text = describeResidue(originals, [
      { original: 2, utf16: false, file: "base/5/16384", offset: 8230, channel: "a table page" },
      { original: 0, utf16: true, file: "disk.raw", offset: 7, channel: "free space" },
      { original: 0, utf16: false, file: "disk.raw", offset: 9, channel: "free space", source: 2 },
    ]);
    expect(text).toBe(
      "shop.public.customers.first_name (UTF-8) in a table page at byte 8230 of base/5/16384; " +
        "shop.public.customers.email (UTF-16LE) in free space at byte 7 of disk.raw; " +
        "shop.public.orders.ref (UTF-8) in free space at byte 9 of disk.raw",
    );
    expect(text).not.toMatch(/mellie|Mellie|REF-/);
  });

  it("columnName joins database, schema, table and column", () => {
    expect(columnName({ database: "a", schema: "b", table: "c", column: "d" })).toBe("a.b.c.d");
  });

  it("leakScanRecord: residue hits are the unexplained count, matches all hits, failed copies counted", () => {
    const tally = emptyTally();
    tally.bytesScanned = 4096;
    tally.hits = 9;
    tally.unexplainedCount = 2;
    tally.explained["live-tuple"] = 7;
    const copies = judgeCopies(originals, [copy("t", "c", [[0, [0]]]), copy("u", "d", [[1, [2]]]), copy("v", "e", [[0, [1]]])], new Map());
    expect(leakScanRecord(originals, 321, tally, copies)).toEqual({
      mode: "exhaustive",
      valuesSearched: 5, // "Mellie" is exactly 6 bytes: searched
      valuesTotal: 6, // "Bo" is counted, not searched
      publishedValuesRead: 321,
      bytesScanned: 4096,
      matches: 9,
      explained: tally.explained,
      hits: 2,
      probes: 5,
      copies,
      copiesFailed: 2,
      highCardinalityRatio: HIGH_CARDINALITY_RATIO,
    });
  });
});
