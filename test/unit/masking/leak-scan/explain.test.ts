// The logical side of the leak scan: what the image publishes explains raw bytes, and an original
// inside an unmasked (or catalog) value is a copy, counted against its strongest source column.
import { beforeEach, describe, expect, it } from "vitest";
import {
  CONTAINER_KINDS,
  containerKindOfTag,
  LogicalContent,
  storedForm,
  tagOfContainer,
  textLeaves,
} from "../../../../packages/core/src/masking/leak-scan/explain.js";
import { collectOriginals, OriginalSet, tagOfOriginal, type OriginalSource } from "../../../../packages/core/src/masking/leak-scan/originals.js";
import { PatternSetBuilder } from "../../../../packages/core/src/masking/leak-scan/pattern-set.js";

const src = (column: string, over: Partial<OriginalSource> = {}): OriginalSource => ({
  database: "d",
  schema: "s",
  table: "t",
  column,
  distinct: 2,
  rows: 2,
  ...over,
});
const EMAIL = "mellie.kozey@example.org";
// Built in each test, not at load: code run at load is a "static" mutant to Stryker, which then
// re-runs every selected test in a fresh process for each one (docs/testing.md).
let originals: OriginalSet;
beforeEach(() => {
  originals = collectOriginals([
    { source: src("first", { transformer: "firstName" }), values: ["Annabel", EMAIL] },
    { source: src("email", { transformer: "email" }), values: [EMAIL] }, // the same value, a stronger column
  ]);
});
const col = (column: string) => ({ database: "d", schema: "s", table: "notes", column });

/** The containers a LogicalContent built, as [bytes, kind]. */
function containers(c: LogicalContent): [string, string][] {
  const set = c.scanSet();
  const out: [string, string][] = [];
  for (let i = 0; i < set.size; i++) if (set.tags[i]! < 0) out.push([Buffer.from(set.pattern(i)).toString("latin1"), containerKindOfTag(set.tags[i]!)]);
  return out;
}

describe("storedForm: PostgreSQL's varlena headers", () => {
  it("a value up to 126 bytes gets a 1-byte header ((len + 1) << 1 | 1); from 127 bytes a 4-byte one ((len + 4) << 2)", () => {
    const short = storedForm(Buffer.alloc(126, 0x61));
    expect(short.header).toBe(1);
    expect(short.bytes[0]).toBe((127 << 1) | 1);
    expect(short.bytes.length).toBe(127);
    const long = storedForm(Buffer.alloc(127, 0x61));
    expect(long.header).toBe(4);
    expect(long.bytes.readUInt32LE(0)).toBe(131 << 2);
    expect(long.bytes.length).toBe(131);
    expect(long.bytes.subarray(4).equals(Buffer.alloc(127, 0x61))).toBe(true);
    expect(storedForm(Buffer.from("abc")).bytes).toEqual(Buffer.from([(4 << 1) | 1, 0x61, 0x62, 0x63]));
  });

  it("container tags are negative, never collide with an original's, and give back their kind", () => {
    for (const [k, kind] of CONTAINER_KINDS.entries()) {
      for (const index of [0, 1, 1000]) {
        const tag = tagOfContainer(index, kind);
        expect(tag).toBeLessThan(0);
        expect(containerKindOfTag(tag)).toBe(kind);
        expect(tag).toBe(-1 - (index * CONTAINER_KINDS.length + k));
      }
    }
  });
});

describe("LogicalContent", () => {
  it("an original inside a published masked value makes the value a container; a value holding none adds nothing", () => {
    const c = new LogicalContent(originals);
    c.addValue([Buffer.from(`masked <${EMAIL}>`)], { kind: "masked" });
    c.addValue([Buffer.from("nothing personal here")], { kind: "masked" });
    c.addValue([], { kind: "masked" });
    expect(c.valuesRead).toBe(3);
    expect(containers(c)).toEqual([[`masked <${EMAIL}>`, "masked-value"]]);
    expect(c.containerCount).toBe(1);
    expect(c.copies.size).toBe(0); // a masked column's value is no copy
    expect([...c.wholeValues]).toEqual([0, 0]);
  });

  it("an original inside an unmasked column is a copy counted against its strongest column; an exact one marks a whole published value", () => {
    const c = new LogicalContent(originals);
    c.addValue([Buffer.from(EMAIL), Buffer.from("Annabel")], { kind: "unmasked", column: col("body") });
    c.addValue([Buffer.from(`cc ${EMAIL}`)], { kind: "unmasked", column: col("body") });
    const finding = c.copies.get(["d", "s", "notes", "body"].join("\u0000"))!;
    expect(finding).toMatchObject(col("body"));
    expect(finding.bySource).toEqual(
      new Map([
        [1, new Set([1])], // the email, by its email column (strongest), not the first one
        [0, new Set([0])], // Annabel
      ]),
    );
    expect([...c.wholeValues]).toEqual([1, 1]);
    expect(containers(c).map(([, k]) => k)).toEqual(["unmasked-value", "unmasked-value", "unmasked-value"]);
  });

  it("a catalog row about a user's object carries copies; a stock catalog row and a TOAST chunk only explain", () => {
    const c = new LogicalContent(originals);
    c.addValue([Buffer.from(`COMMENT: call ${EMAIL}`)], { kind: "catalog", column: col("comment") });
    c.addValue([Buffer.from(`stock ${EMAIL}`)], { kind: "catalog" });
    c.addValue([Buffer.from(`chunk ${EMAIL}`)], { kind: "toast" });
    expect([...c.copies.values()].map((f) => f.column)).toEqual(["comment"]);
    expect(containers(c).map(([, k]) => k)).toEqual(["catalog", "catalog", "toast-chunk"]);
  });

  it("an original spelled by a value's length header and its first bytes makes the stored form a length-header container", () => {
    // A published value of 31 bytes starting "nnabel" is stored behind the header byte 0x41, "A": the stored bytes spell "Annabel".
    const len = ("A".charCodeAt(0) >> 1) - 1; // (len + 1) << 1 | 1 === 0x41
    const value = Buffer.from("nnabel".padEnd(len, "z"));
    expect(storedForm(value).bytes[0]).toBe(0x41);
    const c = new LogicalContent(originals);
    c.addValue([value], { kind: "masked" });
    c.addValue([value], { kind: "masked" }); // the same bytes: one container
    expect(containers(c)).toEqual([[storedForm(value).bytes.toString("latin1"), "length-header"]]);
    expect([...c.wholeValues]).toEqual([0, 0]);
  });

  it("the same published value read twice is one container", () => {
    const c = new LogicalContent(originals);
    for (let i = 0; i < 3; i++) c.addValue([Buffer.from(`x ${EMAIL}`)], { kind: "unmasked", column: col("body") });
    expect(c.containerCount).toBe(1);
    expect(c.valuesRead).toBe(3);
  });

  it("scanSet holds every original pattern (both encodings) and every container", () => {
    const c = new LogicalContent(originals);
    c.addValue([Buffer.from(`masked <${EMAIL}>`)], { kind: "masked" });
    const set = c.scanSet();
    expect(set.size).toBe(originals.patterns.size + 1);
    expect([...set.tags].filter((t) => t >= 0).sort()).toEqual([...originals.patterns.tags].sort());
  });

  it("in batches, a later batch's ids (past the first) mark whole values and copies by their global id", () => {
    const b = new PatternSetBuilder();
    b.add(Buffer.from("second.batch@example.org"), tagOfOriginal(5, false));
    const batch = new OriginalSet([src("email", { transformer: "email" }), src("alt")], b.build(), [1], [0], 6, 5);
    const c = new LogicalContent(originals, 6);
    expect(c.wholeValues.length).toBe(6);
    c.useOriginals(batch);
    c.addValue([Buffer.from("second.batch@example.org")], { kind: "unmasked", column: col("body") });
    expect([...c.wholeValues]).toEqual([0, 0, 0, 0, 0, 1]);
    expect([...c.copies.values()][0]!.bySource).toEqual(new Map([[0, new Set([5])]]));
  });
});

describe("LogicalContent: what counts as a whole published original, and whose copies", () => {
  it("a published value that only begins with an original is no whole published original (the original still has residue to explain)", () => {
    const c = new LogicalContent(originals);
    c.addValue([Buffer.from(`${EMAIL} (old address)`)], { kind: "unmasked", column: col("body") });
    c.addValue([Buffer.from(`Annabel Lee`)], { kind: "masked" });
    expect([...c.wholeValues]).toEqual([0, 0]);
    c.addValue([Buffer.from("Annabel")], { kind: "masked" });
    expect([...c.wholeValues]).toEqual([1, 0]);
  });

  it("two originals of one column copied into the same unmasked column both count against that column", () => {
    const two = collectOriginals([{ source: src("email", { transformer: "email" }), values: [EMAIL, "ann.lee@example.org"] }]);
    const c = new LogicalContent(two);
    c.addValue([Buffer.from(`to ${EMAIL}`)], { kind: "unmasked", column: col("body") });
    c.addValue([Buffer.from("cc ann.lee@example.org")], { kind: "unmasked", column: col("body") });
    expect([...c.copies.values()].map((f) => f.bySource)).toEqual([new Map([[0, new Set([0, 1])]])]);
  });
});

describe("textLeaves: the text a driver value stores", () => {
  const leaves = (v: unknown, composite = false) => [...textLeaves(v, composite)].map((b) => Buffer.from(b).toString("utf8"));
  it("strings, bytes, arrays, JSON keys and strings; no text for numbers, booleans, dates, null", () => {
    expect(leaves("abc")).toEqual(["abc"]);
    expect(leaves(Buffer.from("raw"))).toEqual(["raw"]);
    expect(leaves(["a", ["b", null], 3])).toEqual(["a", "b"]);
    expect(leaves({ k: "v", n: { m: ["w"] }, x: 1, t: true })).toEqual(["k", "v", "n", "m", "w", "x", "t"]);
    expect(leaves(new Date(0))).toEqual([]);
    expect(leaves(null)).toEqual([]);
    expect(leaves(undefined)).toEqual([]);
    expect(leaves(42)).toEqual([]);
  });
  it("a composite's text form also yields its fields one by one", () => {
    expect(leaves('(1,"Mellie Kozey",x\\y)', true)).toEqual(['(1,"Mellie Kozey",x\\y)', "1", "Mellie Kozey", "x", "y"]);
    expect(leaves('(1,"Mellie Kozey")')).toEqual(['(1,"Mellie Kozey")']);
    // Without the flag a value is not read as a composite: a plain text that happens to hold commas stays one leaf.
    expect([...textLeaves("Kozey, Mellie (née Lee)")].map((b) => Buffer.from(b).toString("utf8"))).toEqual(["Kozey, Mellie (née Lee)"]);
    expect(leaves(['("a b")'], true)).toEqual(['("a b")', "a b"]);
  });
});
