// The published data read back once into a private file (published-cache.ts): matching a batch of
// originals against the file gives exactly what matching the values as they were read gives, and a
// file cut short or changed stops the scan rather than searching less.
import { existsSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { containerKindOfTag, LogicalContent, textLeaves, type ValueOrigin } from "../../../../packages/core/src/masking/leak-scan/explain.js";
import { collectOriginals, type OriginalSource } from "../../../../packages/core/src/masking/leak-scan/originals.js";
import { PublishedCache } from "../../../../packages/core/src/masking/leak-scan/published-cache.js";

const src = (column: string, over: Partial<OriginalSource> = {}): OriginalSource => ({
  database: "d",
  schema: "s",
  table: "t",
  column,
  distinct: 2,
  rows: 2,
  ...over,
});
const col = (column: string) => ({ database: "d", schema: "s", table: "notes", column });
const originals = () =>
  collectOriginals([
    { source: src("first", { transformer: "firstName" }), values: ["Annabel", "Greenland"] },
    { source: src("email", { transformer: "email" }), values: ["mellie.kozey@example.org", "jo.long@example.org"] },
  ]);

// Values of every kind of origin: whole originals, an original inside a value, one behind its
// length byte ("M" + "ellie…" spells nothing here, "Mellie" is searched via the email), a long value
// (4-byte header), JSON keys, short values (never stored), and unrelated text.
const masked: ValueOrigin = { kind: "masked" };
const unmasked: ValueOrigin = { kind: "unmasked", column: col("body") };
const catalog: ValueOrigin = { kind: "catalog", column: col("comment") };
const VALUES: [unknown, ValueOrigin][] = [
  ["Annabel", masked],
  ["ellie.kozey@example.org", masked],
  [`reply to mellie.kozey@example.org ${"x".repeat(200)}`, unmasked],
  [{ "jo.long@example.org": ["Greenland", 7] }, unmasked],
  ["short", unmasked],
  ["a comment about Greenland", catalog],
  [null, masked],
  ["nothing personal here at all", { kind: "toast" }],
];

function summary(c: LogicalContent) {
  const set = c.scanSet();
  const containers: string[] = [];
  for (let i = 0; i < set.size; i++)
    if (set.tags[i]! < 0) containers.push(`${containerKindOfTag(set.tags[i]!)}:${Buffer.from(set.pattern(i)).toString("latin1")}`);
  const copies = [...c.copies.entries()].map(([k, f]) => [k, [...f.bySource].map(([s, ids]) => [s, [...ids].sort()])]);
  return { containers, copies, whole: [...c.wholeValues], read: c.valuesRead };
}

let cache: PublishedCache | undefined;
afterEach(() => cache?.dispose());

describe("the published data cached once for every batch", () => {
  it("matching the cached file gives the same containers, copies and whole values as matching the values as read", () => {
    const direct = new LogicalContent(originals());
    for (const [v, origin] of VALUES) direct.addValue(textLeaves(v), origin);
    cache = new PublishedCache();
    for (const [v, origin] of VALUES) cache.addValue(textLeaves(v), origin);
    cache.seal();
    const replayed = new LogicalContent(originals());
    cache.replay(replayed);
    cache.replay(replayed); // a second batch's pass over the same file changes nothing for the same originals
    const expected = summary(direct);
    expect(expected.containers.length).toBeGreaterThan(2);
    expect(expected.copies.length).toBe(2);
    expect({ ...summary(replayed), read: expected.read }).toEqual(expected);
    expect(cache.valuesRead).toBe(VALUES.length);
  });

  it("keeps its file private and removes it on dispose", () => {
    cache = new PublishedCache();
    cache.addValue(textLeaves("a value long enough"), masked);
    cache.seal();
    expect(statSync(cache.dir).mode & 0o777).toBe(0o700);
    expect(statSync(cache.file).mode & 0o777).toBe(0o600);
    cache.dispose();
    expect(existsSync(cache.dir)).toBe(false);
  });

  it("a file cut short or grown stops the scan instead of matching less", () => {
    cache = new PublishedCache();
    for (let i = 0; i < 1000; i++) cache.addValue(textLeaves(`value number ${i} of the published data`), unmasked);
    cache.seal();
    const size = statSync(cache.file).size;
    truncateSync(cache.file, size - 10); // inside the last record
    expect(() => cache!.replay(new LogicalContent(originals()))).toThrow(/cut short or changed/);
    truncateSync(cache.file, size - (size % 4096)); // on a record boundary or not: fewer bytes than written
    expect(() => cache!.replay(new LogicalContent(originals()))).toThrow(/cut short or changed/);
    writeFileSync(cache.file, Buffer.alloc(16), { flag: "a" }); // more than was written
    expect(() => cache!.replay(new LogicalContent(originals()))).toThrow(/cut short or changed/);
  });

  it("a record longer than the read buffer is matched whole", () => {
    const long = `${"y".repeat(5 * 1024 * 1024)} mellie.kozey@example.org`;
    const direct = new LogicalContent(originals());
    direct.addValue(textLeaves(long), unmasked);
    cache = new PublishedCache();
    cache.addValue(textLeaves("first value, short"), masked);
    cache.addValue(textLeaves(long), unmasked);
    cache.seal();
    const replayed = new LogicalContent(originals());
    cache.replay(replayed);
    expect(summary(replayed).copies).toEqual(summary(direct).copies);
    expect(summary(replayed).copies.length).toBe(1);
  });
});
