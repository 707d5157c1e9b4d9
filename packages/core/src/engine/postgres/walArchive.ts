// A directory of archived WAL (what `archive_command = 'cp %p /archive/%f'` fills): what it holds,
// LSN arithmetic, and the restore_command that reads from it.
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { SourceError } from "../../errors.js";

/** 24 hex digits: timeline, log id, segment within the log. */
export const SEGMENT_NAME = /^[0-9A-F]{24}$/;
/** `<segment>.<offset>.backup`: the history file pg_backup_stop() archives for each base backup. */
const BACKUP_HISTORY = /^([0-9A-F]{24})\.([0-9A-F]{8})\.backup$/;
const LSN = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;

export const isLsn = (text: string): boolean => LSN.test(text);

/** "16/B374D848" → a comparable bigint. */
export function lsnToBigInt(lsn: string): bigint {
  if (!isLsn(lsn)) throw new SourceError(`"${lsn}" is not a WAL location; write it as PostgreSQL prints it, e.g. 0/3000148.`);
  const [hi, lo] = lsn.split("/") as [string, string];
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

export const formatLsn = (n: bigint): string => `${(n >> 32n).toString(16).toUpperCase()}/${(n & 0xffffffffn).toString(16).toUpperCase()}`;

/** The WAL location just past the end of segment file `name` (segments of `segmentBytes`). */
export function segmentEndLsn(name: string, segmentBytes: number): string {
  const log = BigInt(`0x${name.slice(8, 16)}`);
  const seg = BigInt(`0x${name.slice(16, 24)}`);
  const perLog = 0x100000000n / BigInt(segmentBytes);
  return formatLsn((log * perLog + seg + 1n) * BigInt(segmentBytes));
}

export interface BackupHistory {
  file: string;
  startLsn?: string;
  stopLsn?: string;
  startTime?: string;
  stopTime?: string;
  startTimeline?: number;
  stopTimeline?: number;
  label?: string;
}

/** `KEY: value` lines of backup_label and backup history files. */
export function parseLabelLines(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Z][A-Z ]+):\s?(.*)$/.exec(line.trim());
    if (m) fields.set(m[1]!, m[2]!);
  }
  return fields;
}

const lsnOf = (v?: string): string | undefined => (v ? /^([0-9A-F]+\/[0-9A-F]+)/i.exec(v)?.[1] : undefined);
const intOf = (v?: string): number | undefined => (v && /^\d+$/.test(v.trim()) ? Number(v.trim()) : undefined);

export function parseBackupHistory(file: string, text: string): BackupHistory {
  const f = parseLabelLines(text);
  return {
    file,
    startLsn: lsnOf(f.get("START WAL LOCATION")),
    stopLsn: lsnOf(f.get("STOP WAL LOCATION")),
    startTime: f.get("START TIME"),
    stopTime: f.get("STOP TIME"),
    startTimeline: intOf(f.get("START TIMELINE")),
    stopTimeline: intOf(f.get("STOP TIMELINE")),
    label: f.get("LABEL"),
  };
}

export interface WalArchive {
  dir: string;
  /** WAL segment files, sorted (timeline first, then position). */
  segments: string[];
  /** Timeline history files (`00000002.history`). */
  histories: string[];
  backupHistoryFiles: string[];
}

export async function readWalArchive(dir: string): Promise<WalArchive> {
  if (!existsSync(dir)) throw new SourceError(`The WAL archive ${dir} does not exist; pass the directory archive_command copies WAL segments into.`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new SourceError(`The WAL archive ${dir} cannot be read: ${(e as Error).message}.`);
  }
  // Compressed or partial segments (.gz, .partial) are not ours to interpret: only plain copies.
  return {
    dir,
    segments: names.filter((n) => SEGMENT_NAME.test(n)).sort(),
    histories: names.filter((n) => /^[0-9A-F]{8}\.history$/.test(n)).sort(),
    backupHistoryFiles: names.filter((n) => BACKUP_HISTORY.test(n)).sort(),
  };
}

/** The backup history file pg_backup_stop() archived for the backup that started at `startLsn`. */
export async function findBackupHistory(archive: WalArchive, startLsn: string): Promise<BackupHistory | undefined> {
  for (const name of archive.backupHistoryFiles) {
    const h = parseBackupHistory(name, await readFile(path.join(archive.dir, name), "utf8"));
    if (h.startLsn && lsnToBigInt(h.startLsn) === lsnToBigInt(startLsn)) return h;
  }
  return undefined;
}

/** Quote one word for /bin/sh: PostgreSQL runs restore_command through the shell. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * restore_command copying from `archiveDir`. The directory is shell-quoted, and its `%` doubled
 * because PostgreSQL expands %f/%p/%r in the command before the shell sees it.
 * A missing file must fail quietly (PostgreSQL asks for files that may not exist, like history files).
 */
export function restoreCommand(archiveDir: string): string {
  const source = shellQuote(`${path.resolve(archiveDir)}/`).replace(/%/g, "%%");
  return `cp -- ${source}%f %p`;
}

/** archive_command for a server that should fill `archiveDir` (used by tests and documented in docs/refresh.md). */
export function archiveCommand(archiveDir: string): string {
  const target = shellQuote(`${path.resolve(archiveDir)}/`).replace(/%/g, "%%");
  return `test ! -f ${target}%f && cp -- %p ${target}%f`;
}
