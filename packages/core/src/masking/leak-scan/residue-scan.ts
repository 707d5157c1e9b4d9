// The physical side of the leak scan: the raw bytes of the data files and of the sealed disk
// searched for every original at once. A hit lying wholly inside a container (the stored form of
// a value the image legitimately publishes) is explained; any other hit is residue — a dead
// tuple, an old index entry, a kept WAL segment, free space — and fails the build.
import { createReadStream } from "node:fs";
import { readdir, lstat } from "node:fs/promises";
import path from "node:path";
import { containerKindOfTag, CONTAINER_KINDS, type ContainerKind } from "./explain.js";
import { originalOfTag } from "./originals.js";
import { StreamScanner, WINDOW, type PatternMatch, type PatternSet } from "./pattern-set.js";
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
  const { set, wholeValues } = planOf(plan);
  const judge = new HitJudge(tally, set.maxLength, wholeValues);
  const scanner = new StreamScanner(set, (m) => judge.onMatch(m));
  for await (const chunk of chunks) {
    scanner.feed(chunk);
    tally.bytesScanned += chunk.length;
  }
  scanner.finish();
  await judge.finish(source);
}

/**
 * Judges one stream's matches (originals and containers), given in window order: a hit is
 * explained when published values (containers) cover all but fewer than WINDOW of its bytes: the
 * rest — a length byte before a value, the next tuple's header after it — is too short to be
 * evidence of the original on its own, while residue holds ≥ WINDOW bytes of it outside any
 * published value. Matches arrive in window order, at most `reach` (the longest pattern) after
 * their start, so a hit is settled once the scan is `reach` past its end. The one-pass scan feeds
 * it the verified matches of all partitions, merged in window order: the same sequence.
 */
export class HitJudge {
  private containers: { s: number; e: number; kind: ContainerKind }[] = [];
  private readonly pending: { tag: number; s: number; e: number; source?: number }[] = [];
  private readonly unexplainedHere: { tag: number; offset: number; length: number; source?: number }[] = [];
  private pruneAt = 64;

  constructor(
    private readonly tally: ResidueTally,
    private readonly reach: number,
    private readonly wholeValues?: Uint8Array,
  ) {}

  /** One match; `source`: its original's first column, when the caller knows it (examples name it). */
  onMatch(m: PatternMatch & { source?: number }): void {
    if (this.pending.length) this.settle(m.anchor);
    if (this.containers.length > this.pruneAt) this.prune(m.anchor);
    if (m.tag < 0) this.containers.push({ s: m.offset, e: m.offset + m.length, kind: containerKindOfTag(m.tag) });
    else this.pending.push({ tag: m.tag, s: m.offset, e: m.offset + m.length, ...(m.source !== undefined ? { source: m.source } : {}) });
  }

  private settle(anchor: number): void {
    const { tally, pending, reach } = this;
    let kept = 0;
    for (const h of pending) {
      if (h.e + reach >= anchor) {
        pending[kept++] = h;
        continue;
      }
      tally.hits++;
      const o = originalOfTag(h.tag).index;
      tally.counts.set(o, (tally.counts.get(o) ?? 0) + 1);
      const cover = coverOf(h, this.containers);
      if (cover) tally.explained[cover]++;
      else if (this.wholeValues?.[o]) tally.explained["published-value"]++;
      else this.unexplainedHere.push({ tag: h.tag, offset: h.s, length: h.e - h.s, ...(h.source !== undefined ? { source: h.source } : {}) });
    }
    pending.length = kept;
  }

  private prune(anchor: number): void {
    let needed = anchor - this.reach;
    for (const h of this.pending) needed = Math.min(needed, h.s);
    this.containers = this.containers.filter((c) => c.e >= needed);
    this.pruneAt = Math.max(64, this.containers.length * 2);
  }

  /** End of the stream: every hit settled; those nothing explains counted, the first few named. */
  async finish(source: StreamSource): Promise<void> {
    const { tally } = this;
    this.settle(Number.MAX_SAFE_INTEGER);
    for (const h of this.unexplainedHere) {
      const kind = await source.explainByStructure?.(h.offset, h.length);
      if (kind) {
        tally.explained[kind]++;
        continue;
      }
      tally.unexplainedCount++;
      if (tally.unexplained.length >= EXAMPLES) continue;
      const { index, utf16 } = originalOfTag(h.tag);
      tally.unexplained.push({
        original: index,
        utf16,
        file: source.file,
        offset: h.offset,
        channel: await source.channelOf(h.offset),
        ...(h.source !== undefined ? { source: h.source } : {}),
      });
    }
    this.unexplainedHere.length = 0;
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
  await scanStream(chunks, set, tally, blobSource(file));
}

/** Every regular file of a data directory, each hit named by the file's role (WAL, table, index …). */
export async function scanDataFiles(root: string, set: PatternSet | ScanPlan, tally: ResidueTally): Promise<void> {
  for (const f of await dataFileSources(root)) await scanStream(createReadStream(f.path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>, set, tally, f);
}

/** A file to scan and how its hits are named and explained. */
export type FileSource = StreamSource & { path: string };

/** The regular files of a data directory in scan order, each with its channels and page structure. */
export async function dataFileSources(root: string): Promise<FileSource[]> {
  return (await listFiles(root, "")).map((rel) => {
    const full = path.join(root, rel);
    return {
      path: full,
      file: rel,
      channelOf: (offset: number) => channelOfFile(full, rel, offset),
      ...(isRelationFile(rel) ? { explainByStructure: (offset: number, length: number) => explainInPage(full, offset, length, WINDOW) } : {}),
    };
  });
}

/** The sealed disk blob as a file source (every byte of it). */
export const blobSource = (file: string): FileSource => ({
  path: file,
  file: path.basename(file),
  channelOf: () => "the disk outside the data files (free space or filesystem metadata)",
});

async function listFiles(root: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(path.join(root, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(root, r)));
    else if (e.isFile() && (await lstat(path.join(root, r))).isFile()) out.push(r);
  }
  return out;
}
