// The physical side of the leak scan: the raw bytes of the data files and of the sealed disk
// searched for every original at once. A hit lying wholly inside a container (the stored form of
// a value the image legitimately publishes) is explained; any other hit is residue — a dead
// tuple, an old index entry, a kept WAL segment, free space — and fails the build.
import { createReadStream } from "node:fs";
import { readdir, lstat } from "node:fs/promises";
import path from "node:path";
import { containerKindOfTag, CONTAINER_KINDS, type ContainerKind } from "./explain.js";
import { originalOfTag } from "./originals.js";
import { StreamScanner, WINDOW, type PatternSet } from "./pattern-set.js";
import { channelOfFile, explainInPage, isRelationFile } from "./pg-page.js";

export interface ResidueHit {
  /** Index of the original (never the value); its source column is in OriginalSet.sources. */
  original: number;
  utf16: boolean;
  /** File (relative to the scanned root) or the disk blob's name, and the byte offset in it. */
  file: string;
  offset: number;
  channel: string;
  /** The original's first column (index into OriginalSet.sources), when the scan ran in batches. */
  source?: number;
}

export interface ResidueTally {
  bytesScanned: number;
  hits: number;
  explained: Record<ContainerKind, number>;
  unexplained: ResidueHit[];
  unexplainedCount: number;
  /** Hits per original (explained or not): the disk-wide pass compares them with the data files'. */
  counts: Map<number, number>;
}

export const emptyTally = (): ResidueTally => ({
  bytesScanned: 0,
  hits: 0,
  explained: Object.fromEntries(CONTAINER_KINDS.map((k) => [k, 0])) as Record<ContainerKind, number>,
  unexplained: [],
  unexplainedCount: 0,
  counts: new Map(),
});

const EXAMPLES = 20;

/**
 * What to search for and what else explains a hit: `wholeValues` marks originals the image also
 * publishes as a whole value (a fake first name that is also someone's real one). Such a value is
 * in the image anyway, so a copy of it inside a compressed datum (pglz keeps literals) is no residue.
 */
export interface ScanPlan {
  set: PatternSet;
  wholeValues?: Uint8Array;
}

const planOf = (p: PatternSet | ScanPlan): ScanPlan => ("set" in p ? p : { set: p });

/** The kind of the container covering most of the hit, when all but < WINDOW of its bytes are covered. */
function coverOf(h: { s: number; e: number }, containers: { s: number; e: number; kind: ContainerKind }[]): ContainerKind | undefined {
  const overlapping = containers.filter((c) => c.s < h.e && c.e > h.s).map((c) => ({ s: Math.max(c.s, h.s), e: Math.min(c.e, h.e), kind: c.kind }));
  if (overlapping.length === 0) return undefined;
  overlapping.sort((a, b) => a.s - b.s);
  let covered = 0;
  let at = h.s;
  for (const c of overlapping) {
    if (c.e <= at) continue;
    covered += c.e - Math.max(c.s, at);
    at = c.e;
  }
  if (h.e - h.s - covered >= WINDOW) return undefined;
  return overlapping.reduce((best, c) => (c.e - c.s > best.e - best.s ? c : best)).kind;
}

export interface StreamSource {
  /** File name in reports. */
  file: string;
  /** The channel a residue hit at `offset` is in (WAL, table page, index page …). */
  channelOf(offset: number): Promise<string> | string;
  /** A last look at a hit no container explains: the file's structure may (a compressed datum). */
  explainByStructure?(offset: number, length: number): Promise<ContainerKind | undefined>;
}

/** Scan one byte stream; hits nothing explains go to the tally, named by their channel. */
export async function scanStream(chunks: AsyncIterable<Uint8Array>, plan: PatternSet | ScanPlan, tally: ResidueTally, source: StreamSource): Promise<void> {
  // A hit is explained when published values (containers) cover all but fewer than WINDOW of its
  // bytes: the rest — a length byte before a value, the next tuple's header after it — is too
  // short to be evidence of the original on its own, while residue holds ≥ WINDOW bytes of it
  // outside any published value. Matches arrive in window order, at most maxLength after their
  // start, so a hit is settled once the scan is maxLength past its end.
  const { set, wholeValues } = planOf(plan);
  const reach = set.maxLength;
  let containers: { s: number; e: number; kind: ContainerKind }[] = [];
  const pending: { tag: number; s: number; e: number }[] = [];
  const unexplainedHere: { tag: number; offset: number; length: number }[] = [];
  const settle = (anchor: number) => {
    let kept = 0;
    for (const h of pending) {
      if (h.e + reach >= anchor) {
        pending[kept++] = h;
        continue;
      }
      tally.hits++;
      const o = originalOfTag(h.tag).index;
      tally.counts.set(o, (tally.counts.get(o) ?? 0) + 1);
      const cover = coverOf(h, containers);
      if (cover) tally.explained[cover]++;
      else if (wholeValues?.[o]) tally.explained["published-value"]++;
      else unexplainedHere.push({ tag: h.tag, offset: h.s, length: h.e - h.s });
    }
    pending.length = kept;
  };
  let pruneAt = 64;
  const prune = (anchor: number) => {
    let needed = anchor - reach;
    for (const h of pending) needed = Math.min(needed, h.s);
    containers = containers.filter((c) => c.e >= needed);
    pruneAt = Math.max(64, containers.length * 2);
  };
  const scanner = new StreamScanner(set, (m) => {
    if (pending.length) settle(m.anchor);
    if (containers.length > pruneAt) prune(m.anchor);
    if (m.tag < 0) containers.push({ s: m.offset, e: m.offset + m.length, kind: containerKindOfTag(m.tag) });
    else pending.push({ tag: m.tag, s: m.offset, e: m.offset + m.length });
  });
  for await (const chunk of chunks) {
    scanner.feed(chunk);
    tally.bytesScanned += chunk.length;
  }
  scanner.finish();
  settle(Number.MAX_SAFE_INTEGER);
  for (const h of unexplainedHere) {
    const kind = await source.explainByStructure?.(h.offset, h.length);
    if (kind) {
      tally.explained[kind]++;
      continue;
    }
    tally.unexplainedCount++;
    if (tally.unexplained.length >= EXAMPLES) continue;
    const { index, utf16 } = originalOfTag(h.tag);
    tally.unexplained.push({ original: index, utf16, file: source.file, offset: h.offset, channel: await source.channelOf(h.offset) });
  }
}

const CHUNK = 4 * 1024 * 1024;

/** The sealed disk blob, every byte of it (free space and filesystem metadata included). */
export async function scanBlob(file: string, set: PatternSet | ScanPlan, tally: ResidueTally, onProgress?: (done: number) => void): Promise<void> {
  const stream = createReadStream(file, { highWaterMark: CHUNK });
  let done = 0;
  const chunks = (async function* () {
    for await (const c of stream) {
      done += (c as Buffer).length;
      onProgress?.(done);
      yield c as Buffer;
    }
  })();
  await scanStream(chunks, set, tally, { file: path.basename(file), channelOf: () => "the disk outside the data files (free space or filesystem metadata)" });
}

/** Every regular file of a data directory, each hit named by the file's role (WAL, table, index …). */
export async function scanDataFiles(root: string, set: PatternSet | ScanPlan, tally: ResidueTally): Promise<void> {
  for (const rel of await listFiles(root, "")) {
    const full = path.join(root, rel);
    const relation = isRelationFile(rel);
    await scanStream(createReadStream(full, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>, set, tally, {
      file: rel,
      channelOf: (offset) => channelOfFile(full, rel, offset),
      ...(relation ? { explainByStructure: (offset: number, length: number) => explainInPage(full, offset, length, WINDOW) } : {}),
    });
  }
}

async function listFiles(root: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(path.join(root, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(root, r)));
    else if (e.isFile() && (await lstat(path.join(root, r))).isFile()) out.push(r);
  }
  return out;
}
