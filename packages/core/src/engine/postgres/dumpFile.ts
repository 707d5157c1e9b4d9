// Recognises PostgreSQL dump formats by their bytes, not their file names.
import { existsSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import path from "node:path";
import { SourceError } from "../../errors.js";

export type DumpKind = "custom" | "directory" | "tar" | "plain" | "dumpall";

const EXPECTED = "expected a pg_dump custom archive (-Fc), a directory dump with toc.dat (-Fd), a tar dump (-Ft), a plain SQL dump (-Fp) or pg_dumpall output";

async function head(file: string, bytes: number): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export async function detectDumpKind(file: string): Promise<DumpKind> {
  const s = await stat(file).catch(() => undefined);
  if (!s) throw new SourceError(`${file} does not exist.`);
  if (s.isDirectory()) {
    if (existsSync(path.join(file, "toc.dat"))) return "directory";
    throw new SourceError(`${file} is a directory without toc.dat, so not a PostgreSQL directory dump (${EXPECTED}).`);
  }
  const b = await head(file, 8192);
  if (b.subarray(0, 5).toString("latin1") === "PGDMP") return "custom";
  if (b.length >= 262 && b.subarray(257, 262).toString("latin1") === "ustar" && b.includes("toc.dat")) return "tar";
  if (b[0] === 0x1f && b[1] === 0x8b) {
    throw new SourceError(`${file} is gzip-compressed; decompress it first (gunzip) — ${EXPECTED}.`);
  }
  const text = b.toString("utf8");
  if (text.includes("-- PostgreSQL database cluster dump")) return "dumpall";
  if (text.includes("-- PostgreSQL database dump")) return "plain";
  throw new SourceError(`${file} is not a PostgreSQL dump (${EXPECTED}).`);
}

/** A database name from a file name: shop.sql → shop, prod-2024.dump → prod-2024. */
export function databaseNameFromFile(file: string): string {
  return path.basename(file).replace(/\.(sql|dump|pgdump|backup|tar|dir)$/i, "") || "restored";
}

/** Fields from `pg_restore -l` output: the original database name and server version. */
export function parseTocHeader(listing: string): { database?: string; version?: string } {
  const database = /^;\s+dbname:\s*(.+)$/m.exec(listing)?.[1]?.trim();
  const version = /^;\s+Dumped from database version:\s*(\d+(?:\.\d+)?)/m.exec(listing)?.[1];
  return { database, version };
}
