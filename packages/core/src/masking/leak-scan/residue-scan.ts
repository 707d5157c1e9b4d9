// The physical side of the leak scan: the raw bytes of the data files and of the sealed disk
// searched for every original at once. A hit lying wholly inside a container (the stored form of
// a value the image legitimately publishes) is explained; any other hit is residue — a dead
// tuple, an old index entry, a kept WAL segment, free space — and fails the build.
import { createReadStream } from "node:fs";
import { open, readdir, lstat } from "node:fs/promises";
import path from "node:path";
import { containerKindOfTag, CONTAINER_KINDS, type ContainerKind } from "./explain.js";
import { originalOfTag } from "./originals.js";
import { StreamScanner, type PatternSet } from "./pattern-set.js";

export interface ResidueHit {
  /** Index of the original (never the value); its source column is in OriginalSet.sources. */
  original: number;
  utf16: boolean;
  /** File (relative to the scanned root) or the disk blob's name, and the byte offset in it. */
  file: string;
  offset: number;
  channel: string;
}

export interface ResidueTally {
  bytesScanned: number;
  hits: number;
  explained: Record<ContainerKind, number>;
  unexplained: ResidueHit[];
  unexplainedCount: number;
}

export const emptyTally = (): ResidueTally => ({
  bytesScanned: 0,
  hits: 0,
  explained: Object.fromEntries(CONTAINER_KINDS.map((k) => [k, 0])) as Record<ContainerKind, number>,
  unexplained: [],
  unexplainedCount: 0,
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

/** Scan one byte stream; hits not inside a container go to the tally with the channel `channelOf` names. */
export async function scanStream(
  chunks: AsyncIterable<Uint8Array>,
  plan: PatternSet | ScanPlan,
  tally: ResidueTally,
  file: string,
  channelOf: (offset: number) => Promise<string> | string,
): Promise<void> {
  // A hit is explained when a container spans it. Matches arrive in window order, at most
  // maxLength after their start, so a hit is settled once the scan is maxLength past it.
  const { set, wholeValues } = planOf(plan);
  const reach = set.maxLength;
  let containers: { s: number; e: number; kind: ContainerKind }[] = [];
  const pending: { tag: number; s: number; e: number }[] = [];
  const unexplainedHere: { tag: number; offset: number }[] = [];
  const settle = (anchor: number) => {
    let kept = 0;
    for (const h of pending) {
      if (h.s + reach >= anchor) {
        pending[kept++] = h;
        continue;
      }
      tally.hits++;
      let cover: ContainerKind | undefined;
      for (let i = containers.length - 1; i >= 0 && !cover; i--) if (containers[i]!.s <= h.s && containers[i]!.e >= h.e) cover = containers[i]!.kind;
      if (cover) tally.explained[cover]++;
      else if (wholeValues?.[originalOfTag(h.tag).index]) tally.explained["published-value"]++;
      else unexplainedHere.push({ tag: h.tag, offset: h.s });
    }
    pending.length = kept;
  };
  // Containers ending before any pending or future hit can start are dropped (memory stays bounded).
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
  tally.unexplainedCount += unexplainedHere.length;
  for (const h of unexplainedHere.slice(0, Math.max(0, EXAMPLES - tally.unexplained.length))) {
    const { index, utf16 } = originalOfTag(h.tag);
    tally.unexplained.push({ original: index, utf16, file, offset: h.offset, channel: await channelOf(h.offset) });
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
  await scanStream(chunks, set, tally, path.basename(file), () => "the disk outside the data files (free space or filesystem metadata)");
}

/** Every regular file of a data directory, each hit named by the file's role (WAL, table, index …). */
export async function scanDataFiles(root: string, set: PatternSet | ScanPlan, tally: ResidueTally): Promise<void> {
  for (const rel of await listFiles(root, "")) {
    const full = path.join(root, rel);
    await scanStream(createReadStream(full, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>, set, tally, rel, (offset) => channelOfFile(full, rel, offset));
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

/** A PostgreSQL data file's role, for the error: WAL, heap (table/TOAST) page or index page. */
export async function channelOfFile(full: string, rel: string, offset: number): Promise<string> {
  const parts = rel.split(path.sep);
  const dataAt = parts.findIndex((p) => p === "pg_wal" || p === "base" || p === "global");
  const inner = dataAt >= 0 ? parts.slice(dataAt) : parts;
  if (inner[0] === "pg_wal") return `a kept WAL segment (${inner.join("/")})`;
  if ((inner[0] === "base" || inner[0] === "global") && /^\d+(\.\d+)?$/.test(inner[inner.length - 1]!)) {
    const page = await pageKind(full, offset);
    return `${page} in relation file ${inner.join("/")}`;
  }
  return `file ${inner.join("/")}`;
}

/** Heap pages end at BLCKSZ (pd_special = 8192); index pages keep a special area before it. */
async function pageKind(full: string, offset: number): Promise<string> {
  const fh = await open(full, "r");
  try {
    const header = Buffer.alloc(24);
    await fh.read(header, 0, 24, offset - (offset % 8192));
    const special = header.readUInt16LE(16);
    if (special === 8192) return "a table page (dead tuple or a row no longer published)";
    if (special > 0 && special < 8192) return "an index page (old or extra index entry)";
    return "an unrecognised page";
  } finally {
    await fh.close();
  }
}
