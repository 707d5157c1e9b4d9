// COPY (text format) into and between databases of the staging server, streamed: rows go in
// ~1 MB writes; a server-to-server copy pipes COPY … TO STDOUT into COPY … FROM STDIN.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";

const WRITE_BYTES = 1 << 20;

function* batched(lines: Iterable<string>): Generator<string> {
  let buf = "";
  for (const line of lines) {
    buf += line;
    if (buf.length >= WRITE_BYTES) {
      yield buf;
      buf = "";
    }
  }
  if (buf) yield buf;
}

/** COPY `lines` (each a complete text-format row ending in \n) into a table. */
export async function copyLines(c: pg.Client, copyStatement: string, lines: Iterable<string>): Promise<void> {
  await pipeline(Readable.from(batched(lines)), c.query(copyFrom(copyStatement)));
}

/** Stream a query's rows from one database into a table of another, without holding them. */
export async function copyBetween(from: pg.Client, query: string, to: pg.Client, copyStatement: string): Promise<void> {
  await pipeline(from.query(copyTo(`COPY (${query}) TO STDOUT`)), to.query(copyFrom(copyStatement)));
}
