// A source's WAL is data, but replaying it acts on the host: a Tablespace record's redo chmods the
// directory it names to 0700 and links it into pg_tblspc, and every later record for that
// tablespace writes or deletes relation files there, as the database's OS user, who may own another
// cluster on the runner. A base backup's tablespace_map makes the same links when recovery starts.
// So before any replay (a copied data directory's crash recovery in single-user mode, a base
// backup's recovery, archive recovery to a target), pg_waldump reads every record the replay could
// read, and a source with a Tablespace record, a tablespace_map entry or a pg_tblspc entry is
// refused. dbclone images hold one data directory, so such a source never built; this check makes
// it fail before the host was touched.
//
// What "every record the replay could read" takes: each segment file from its first record to its
// end, on its own timeline; and the chain the replay follows from each place it can enter (the
// checkpoint and redo of pg_control and backup_label, each timeline's switch point), over the
// files the replay would pick for each segment (archive before pg_wal, the newest timeline whose
// start is not after the segment), since a crafted segment can hide a record inside another one.
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SourceError } from "../../errors.js";
import { run } from "../../runtime/exec.js";
import type { PgBinaries } from "./binaries.js";
import { controlData } from "./control-data.js";
import { giveToServerUser, serverUser } from "./osUser.js";
import { SEGMENT_NAME, isLsn, lsnToBigInt } from "./walArchive.js";

const HISTORY_NAME = /^([0-9A-F]{8})\.history$/;

interface Entry {
  lsn: string;
  timeline: number;
}

/** Refuse `dataDir` (and the archive its replay reads from) when replaying it could act outside it. */
export async function refuseReplayOutside(bins: PgBinaries, dataDir: string, what: string, archiveDir?: string): Promise<void> {
  const tablespaceMap = (await readFile(path.join(dataDir, "tablespace_map"), "utf8").catch(() => "")).trim();
  if (tablespaceMap) {
    throw new SourceError(
      `${what} has a tablespace_map listing ${tablespaceMap.split("\n").length} tablespace(s): recovery would link directories outside the data directory. dbclone images hold a single data directory; use a dump instead.`,
    );
  }
  const linked = await readdir(path.join(dataDir, "pg_tblspc")).catch(() => [] as string[]);
  if (linked.length) {
    throw new SourceError(
      `${what} has ${linked.length} tablespace(s) in pg_tblspc, outside its data directory. dbclone images hold a single data directory; use a dump instead.`,
    );
  }
  const dirs = [...(archiveDir ? [archiveDir] : []), path.join(dataDir, "pg_wal")];
  const found: string[] = [];
  const waldump = (args: string[], cwdDir: string) => tablespaceRecords(bins, ["--path", cwdDir, "--rmgr", "Tablespace", ...args]);
  // Each file on its own: from its first record to its end.
  for (const dir of dirs) for (const segment of await segmentFiles(dir)) found.push(...(await waldump([segment, segment], dir)));
  // The chains the replay follows, over the files it would read.
  const entries = [...(await controlEntries(bins, dataDir)), ...(await labelEntries(dataDir))];
  const views = await mkdtemp(path.join(os.tmpdir(), "dbclone-walview-"));
  try {
    await giveToServerUser(views);
    const histories = await timelineHistories(dirs);
    for (const [timeline, begins] of histories) entries.push(...begins.filter((b) => b.timeline === timeline));
    // One view per timeline the replay could target: crash recovery stays on pg_control's, archive recovery takes the latest.
    for (const target of new Set([...histories.keys(), ...entries.map((e) => e.timeline)])) {
      const view = path.join(views, String(target));
      await mkdir(view, { mode: 0o700 });
      await giveToServerUser(view);
      await linkReplayView(view, dirs, histories.get(target) ?? [{ timeline: target, lsn: "0/0" }]);
      for (const e of entries) found.push(...(await waldump(["--timeline", "1", "--start", e.lsn], view)));
    }
  } finally {
    await rm(views, { recursive: true, force: true });
  }
  if (found.length) {
    throw new SourceError(
      `${what}: its WAL holds a tablespace record at ${[...new Set(found)].slice(0, 3).join(", ")}; replaying it would create or remove directories outside the data directory, so nothing was replayed. Take the source without tablespaces, or use a dump.`,
    );
  }
}

/** LSNs of the Tablespace records pg_waldump prints (it exits 1 where the WAL ends: every WAL's end). */
async function tablespaceRecords(bins: PgBinaries, args: string[]): Promise<string[]> {
  const r = await run(bins.bin("pg_waldump"), args, { asUser: serverUser().asUser, cwd: "/", allowFailure: true, timeoutMs: 3600_000 });
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("rmgr: Tablespace"))
    .map((l) => /lsn: ([0-9A-F]+\/[0-9A-F]+)/.exec(l)?.[1] ?? "?");
}

async function segmentFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => SEGMENT_NAME.test(n)).sort();
  const files: string[] = [];
  for (const n of names) if ((await lstat(path.join(dir, n))).isFile()) files.push(n);
  return files;
}

/** pg_control's checkpoint and its redo, on the checkpoint's timeline: where crash recovery starts. */
async function controlEntries(bins: PgBinaries, dataDir: string): Promise<Entry[]> {
  const control = await controlData(bins, dataDir).catch(() => new Map<string, string>());
  const field = (name: string) => control.get(name)?.split(/\s/)[0];
  const timeline = Number(field("Latest checkpoint's TimeLineID"));
  if (!Number.isInteger(timeline) || timeline < 1) return [];
  return [field("Latest checkpoint location"), field("Latest checkpoint's REDO location")].filter(isEntry).map((lsn) => ({ lsn, timeline }));
}

/** backup_label's start and checkpoint: where a base backup's recovery starts. */
async function labelEntries(dataDir: string): Promise<Entry[]> {
  const label = await readFile(path.join(dataDir, "backup_label"), "utf8").catch(() => "");
  const timeline = Number(/^START TIMELINE:\s*(\d+)/m.exec(label)?.[1] ?? /^START WAL LOCATION:.*file ([0-9A-F]{8})/m.exec(label)?.[1] ?? Number.NaN);
  if (!Number.isInteger(timeline) || timeline < 1) return [];
  return [/^START WAL LOCATION:\s*(\S+)/m.exec(label)?.[1], /^CHECKPOINT LOCATION:\s*(\S+)/m.exec(label)?.[1]]
    .filter(isEntry)
    .map((lsn) => ({ lsn, timeline }));
}

/** A WAL location the replay can start from (0/0 is none). */
const isEntry = (s: string | undefined): s is string => !!s && isLsn(s) && s !== "0/0";

/**
 * Each timeline's history as where each of its ancestors begins: `{timeline, lsn}` per line, the
 * timeline itself beginning at the last line's switch point (the first ancestor at 0/0).
 */
export async function timelineHistories(dirs: string[]): Promise<Map<number, Entry[]>> {
  const out = new Map<number, Entry[]>();
  for (const dir of dirs) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const m = HISTORY_NAME.exec(name);
      if (!m || out.has(Number.parseInt(m[1]!, 16))) continue;
      const text = await readFile(path.join(dir, name), "utf8").catch(() => "");
      const lines = text
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => /^\d+$/.test(f[0] ?? "") && !!f[1] && isLsn(f[1]));
      const begins: Entry[] = [];
      let begin = "0/0";
      for (const [parent, end] of lines) {
        begins.push({ timeline: Number(parent), lsn: begin });
        begin = end!;
      }
      const timeline = Number.parseInt(m[1]!, 16);
      begins.push({ timeline, lsn: begin });
      out.set(timeline, begins);
    }
  }
  return out;
}

/**
 * Link into `view`, all under timeline 1's names, the file the replay reads for each segment: of
 * the timelines in `begins`, the newest one that begins in or before that segment (PostgreSQL
 * reads a switch segment from the new timeline) and has the file, the archive's copy before
 * pg_wal's. pg_waldump checks only that page timelines never go down, which this order keeps.
 */
export async function linkReplayView(view: string, dirs: string[], begins: Entry[]): Promise<void> {
  const byTimeline = [...begins].sort((a, b) => b.timeline - a.timeline);
  const files = new Map<string, string>(); // name → path, archive first
  let segmentBytes = 0;
  for (const dir of dirs) {
    for (const name of await segmentFiles(dir)) {
      if (files.has(name)) continue;
      files.set(name, path.join(dir, name));
      segmentBytes ||= (await lstat(path.join(dir, name))).size;
    }
  }
  if (!segmentBytes) return;
  const perLog = 0x100000000n / BigInt(segmentBytes);
  const segNo = (name: string) => BigInt(`0x${name.slice(8, 16)}`) * perLog + BigInt(`0x${name.slice(16, 24)}`);
  const segmentsOf = new Map<bigint, string>(); // segment number → its name without the timeline
  for (const name of files.keys()) segmentsOf.set(segNo(name), name.slice(8));
  for (const [no, rest] of segmentsOf) {
    for (const b of byTimeline) {
      if (lsnToBigInt(b.lsn) / BigInt(segmentBytes) > no) continue;
      const file = files.get(`${b.timeline.toString(16).toUpperCase().padStart(8, "0")}${rest}`);
      if (!file) continue;
      await symlink(file, path.join(view, `00000001${rest}`));
      break;
    }
  }
}
