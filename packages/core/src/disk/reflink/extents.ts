// Where a reflink clone can differ from the image it was copied from, from the two files' extent
// maps (FIEMAP through `xfs_io`), without reading any data: the clone's own extents (not shared:
// it wrote them) and the ranges where the clone has a hole (a discard) but the image has data.
// Everything else is the image's own blocks, shared, hence identical.
import type { Reporter } from "../../reporter.js";
import { run } from "../../runtime/exec.js";

export interface Extent {
  offset: number;
  length: number;
  shared: boolean;
}

const FIEMAP_EXTENT_SHARED = 0x2000;

/** Data extents of `file` in bytes (holes left out), in file order. */
export async function dataExtents(file: string, reporter: Reporter): Promise<Extent[]> {
  const r = await run("xfs_io", ["-r", "-c", "fiemap -v", file], { reporter, packageHint: "xfsprogs", timeoutMs: 10 * 60_000 });
  const out: Extent[] = [];
  for (const line of r.stdout.split("\n")) {
    // "   1: [80..95]:        8464..8479          16   0x2000"  (512-byte sectors); holes say "hole".
    const m = /^\s*\d+: \[(\d+)\.\.(\d+)\]:\s+(\S+)\s+\d+(?:\s+(0x[0-9a-f]+))?/.exec(line);
    if (!m || m[3] === "hole") continue;
    const start = Number(m[1]) * 512;
    out.push({ offset: start, length: (Number(m[2]) + 1) * 512 - start, shared: (parseInt(m[4] ?? "0", 16) & FIEMAP_EXTENT_SHARED) !== 0 });
  }
  return out;
}

export interface Range {
  offset: number;
  length: number;
}

/** Parts of `ranges` not covered by `minus` (both sorted by offset). */
export function subtract(ranges: Range[], minus: Range[]): Range[] {
  const out: Range[] = [];
  for (const r of ranges) {
    let at = r.offset;
    const end = r.offset + r.length;
    for (const m of minus) {
      const mEnd = m.offset + m.length;
      if (mEnd <= at || m.offset >= end) continue;
      if (m.offset > at) out.push({ offset: at, length: m.offset - at });
      at = Math.max(at, mEnd);
      if (at >= end) break;
    }
    if (at < end) out.push({ offset: at, length: end - at });
  }
  return out;
}

/** What may differ: `copy` (the clone's own data) and `zero` (clone holes over image data). */
export function differingRanges(clone: Extent[], image: Extent[]): { copy: Range[]; zero: Range[] } {
  const byOffset = (a: Range, b: Range) => a.offset - b.offset;
  const copy = clone
    .filter((e) => !e.shared)
    .map(({ offset, length }) => ({ offset, length }))
    .sort(byOffset);
  const zero = subtract(image.map(({ offset, length }) => ({ offset, length })).sort(byOffset), [...clone].sort(byOffset));
  return { copy, zero };
}
