// How published values (containers) cover a hit in the raw-byte scan, in the cases the first
// tests left open: containers that arrive out of order, one nested in another, one just past a
// partly covered hit, which container names the explanation, and pruning while a hit is pending.
// Each case is a way a wrong cover would either hide residue or report a clean disk as leaking.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tagOfContainer } from "../../../../packages/core/src/masking/leak-scan/explain.js";
import { PatternSetBuilder, type PatternSet } from "../../../../packages/core/src/masking/leak-scan/pattern-set.js";
import { emptyTally, scanBlob, scanDataFiles, scanStream, type ResidueTally } from "../../../../packages/core/src/masking/leak-scan/residue-scan.js";

const EMAIL = "mellie.kozey@example.org"; // 24 bytes, longer than WINDOW (6)
const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-residue-cover-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function scan(bytes: Buffer, set: PatternSet, chunk = 5): Promise<ResidueTally> {
  const tally = emptyTally();
  await scanStream(chunked(bytes, chunk), set, tally, { file: "disk.img", channelOf: () => "page" });
  return tally;
}

function setOf(containers: [string, "masked-value" | "unmasked-value"][], extra: string[] = []): PatternSet {
  const b = new PatternSetBuilder();
  b.add(Buffer.from(EMAIL), 0);
  for (const [i, [text, kind]] of containers.entries()) b.add(Buffer.from(text), tagOfContainer(i, kind));
  for (const [i, text] of extra.entries()) b.add(Buffer.from(text), tagOfContainer(containers.length + i, "masked-value"));
  return b.build();
}

describe("scanDataFiles reports in a stable order", () => {
  it("scans the data directory's files in name order, so two scans of one image report the same examples", async () => {
    const root = path.join(dir, "pgdata-order");
    // Mixed case: our own order (localeCompare), not whatever order the platform lists a directory in
    // (libuv happens to sort by byte value, which puts "Base" before "archive").
    const names = ["mmm", "Base", "ccc", "archive", "Xlog", "bbb", "Zeta", "aaa"];
    for (const n of names) {
      mkdirSync(path.join(root, n), { recursive: true });
      writeFileSync(path.join(root, n, "file"), Buffer.concat([Buffer.alloc(16), Buffer.from(EMAIL), Buffer.alloc(16)]));
    }
    const tally = emptyTally();
    await scanDataFiles(root, setOf([]), tally);
    expect(tally.unexplained.map((u) => u.file)).toEqual([...names].sort((a, b) => a.localeCompare(b)).map((n) => path.join(n, "file")));
  });
});

describe("a hit's cover by published values", () => {
  it("a short published value nested inside a longer one that covers the whole original does not make it residue", async () => {
    // The short one ends first, so it arrives first; the long one starts earlier and covers all.
    const disk = Buffer.concat([Buffer.alloc(10), Buffer.from(`<${EMAIL}>`), Buffer.alloc(10)]);
    const tally = await scan(
      disk,
      setOf([
        [EMAIL.slice(8, 15), "unmasked-value"],
        [`<${EMAIL}>`, "masked-value"],
      ]),
    );
    expect(tally.hits).toBe(1);
    expect(tally.unexplainedCount).toBe(0);
    expect(tally.explained["masked-value"]).toBe(1);
  });

  it("two published values that arrive out of order (an index slot crowded by look-alikes) still cover the original together", async () => {
    // Matches arrive in the order of their indexed window. The value covering the original's first
    // 14 bytes is indexed by its 8th window (its first seven windows share slots with the fillers), so it
    // arrives after the value covering the last 18, which starts 6 bytes in: the cover must be
    // computed in start order, or the first 6 bytes would count as uncovered residue.
    const b = new PatternSetBuilder();
    b.add(Buffer.from(EMAIL), 0);
    b.add(Buffer.from(EMAIL.slice(6)), tagOfContainer(0, "masked-value"));
    for (const [i, w] of ["ellie.", "llie.k", "lie.ko", "ie.koz", "e.koze"].entries()) b.add(Buffer.from(`${w}#${i}`), tagOfContainer(1 + i, "masked-value"));
    b.add(Buffer.from(EMAIL.slice(0, 14)), tagOfContainer(9, "unmasked-value"));
    const disk = Buffer.concat([Buffer.alloc(10), Buffer.from(EMAIL), Buffer.alloc(10)]);
    const tally = await scan(disk, b.build());
    expect(tally.hits).toBe(1);
    expect(tally.unexplainedCount).toBe(0);
    expect(tally.explained["masked-value"]).toBe(1); // the larger share (18 of 24 bytes)
  });

  it("names the published value that covers most of the original, even when a smaller one starts first", async () => {
    const disk = Buffer.concat([Buffer.alloc(10), Buffer.from(EMAIL), Buffer.alloc(10)]);
    const tally = await scan(
      disk,
      setOf([
        [`\0\0${EMAIL.slice(0, 6)}`, "unmasked-value"], // 6 bytes of the original
        [`${EMAIL.slice(6)}\0\0`, "masked-value"], // the other 18
      ]),
    );
    expect(tally.unexplainedCount).toBe(0);
    expect(tally.explained["masked-value"]).toBe(1);
    expect(tally.explained["unmasked-value"]).toBe(0);
  });

  it("a published value just past a partly covered original neither adds to nor takes from its cover", async () => {
    // 21 of 24 bytes covered (3 < WINDOW uncovered): explained; the value 3 bytes after the hit is not part of it.
    const disk = Buffer.concat([Buffer.alloc(10), Buffer.from(EMAIL), Buffer.alloc(3), Buffer.from("#after-value#"), Buffer.alloc(10)]);
    const tally = await scan(
      disk,
      setOf([
        [`\0\0${EMAIL.slice(0, 21)}`, "masked-value"],
        ["#after-value#", "unmasked-value"],
      ]),
    );
    expect(tally.hits).toBe(1);
    expect(tally.unexplainedCount).toBe(0);
    expect(tally.explained["masked-value"]).toBe(1);
  });

  it("keeps the container that covers a pending hit when more than 64 containers arrive before the hit is settled", async () => {
    // A long pattern in the set makes the scan wait long (its reach) before it settles a hit, so the
    // container list is pruned while the hit is still pending: its cover must survive the pruning.
    const fillers = Array.from({ length: 80 }, (_, i) => `filler-${String(i).padStart(4, "0")}`);
    const long = "L".repeat(2000);
    const covered = `<${EMAIL}>`;
    const disk = Buffer.concat([Buffer.alloc(4), Buffer.from(covered), ...fillers.map((f) => Buffer.from(f)), Buffer.alloc(2100)]);
    const tally = await scan(disk, setOf([[covered, "unmasked-value"]], [...fillers, long]), 64);
    expect(tally.hits).toBe(1);
    expect(tally.unexplainedCount).toBe(0);
    expect(tally.explained["unmasked-value"]).toBe(1);
  });

  it("pruning keeps a container that covers only the start of a still pending hit, however far the scan has moved on", async () => {
    // reach = 1000 (the longest pattern). The 65 containers (the cover + 64 fillers) are pruned when the
    // marker arrives 1000 + 22 bytes past the hit's start: by then the scan is past the cover's end
    // (20 bytes in), but the hit is still pending, so its cover must stay for it to be explained.
    const h = 10;
    const cover = `\0\0${EMAIL.slice(0, 20)}`;
    const fillers = Array.from({ length: 64 }, (_, i) => `filler-${String(i).padStart(4, "0")}`);
    const marker = "#marker-end#";
    const b = new PatternSetBuilder();
    b.add(Buffer.from(EMAIL), 0);
    b.add(Buffer.from("L".repeat(1000)), 1); // never on the disk: only sets the reach
    b.add(Buffer.from(cover), tagOfContainer(0, "masked-value"));
    for (const [i, f] of fillers.entries()) b.add(Buffer.from(f), tagOfContainer(1 + i, "unmasked-value"));
    b.add(Buffer.from(marker), tagOfContainer(100, "unmasked-value"));
    const disk = Buffer.alloc(h + 22 + 1000 + marker.length + 50);
    disk.write(EMAIL, h);
    disk.write(fillers.join(""), h + EMAIL.length);
    disk.write(marker, h + 22 + 1000);
    const tally = await scan(disk, b.build(), 128);
    expect(tally.hits).toBe(1);
    expect(tally.unexplainedCount).toBe(0);
    expect(tally.explained["masked-value"]).toBe(1);
  });

  it("pruning with no hit pending keeps the containers a hit about to arrive may need", async () => {
    // The cover "<email>" arrives (anchor: its start) before the email itself, whose index window is
    // crowded to its 3rd byte; the 66th container arrives in between and prunes: the cover must stay.
    const b = new PatternSetBuilder();
    const fillers = Array.from({ length: 64 }, (_, i) => `filler-${String(i).padStart(4, "0")}`);
    b.add(Buffer.from("mellie#x"), tagOfContainer(90, "unmasked-value")); // crowds the email's 1st window
    b.add(Buffer.from(EMAIL.slice(1, 8)), tagOfContainer(91, "unmasked-value")); // "ellie.k": its 2nd, and the prune trigger
    b.add(Buffer.from(EMAIL), 0);
    for (const [i, f] of fillers.entries()) b.add(Buffer.from(f), tagOfContainer(i, "unmasked-value"));
    b.add(Buffer.from(`<${EMAIL}>`), tagOfContainer(80, "masked-value"));
    const disk = Buffer.concat([Buffer.from(fillers.join("")), Buffer.from(`<${EMAIL}>`), Buffer.alloc(40)]);
    const tally = await scan(disk, b.build(), 100);
    expect(tally.hits).toBe(1);
    expect(tally.unexplainedCount).toBe(0);
    expect(tally.explained["masked-value"]).toBe(1);
  });

  it("scanBlob works without a progress callback (the CLI's quiet mode)", async () => {
    const blob = path.join(dir, "quiet.raw");
    writeFileSync(blob, Buffer.concat([Buffer.alloc(100), Buffer.from(EMAIL)]));
    const tally = emptyTally();
    await scanBlob(blob, setOf([]), tally);
    expect(tally.unexplainedCount).toBe(1);
    expect(tally.bytesScanned).toBe(100 + EMAIL.length);
  });
});
