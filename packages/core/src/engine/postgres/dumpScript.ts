// A plain or pg_dumpall SQL script is data: psql would run any backslash command in it (`\!` is
// a shell, `\o |cmd` a pipe, `\i` another file). Before psql sees a script, every line is
// checked and only the backslash forms pg_dump and pg_dumpall themselves write are allowed:
// `\restrict KEY`, `\unrestrict KEY`, `\connect DB` (alone on a line, between statements) and
// `\.` ending the data of a `COPY … FROM stdin`. A backslash psql would read as a command
// anywhere else — mid-line, after a statement, outside quotes — refuses the file.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { SourceError } from "../../errors.js";
import { scanSqlLine, startOfScan, type SqlScanState } from "./sqlLexer.js";

export interface ScriptFacts {
  /** The script enters psql's restricted mode itself (pg_dump 15.14+). */
  restricts: boolean;
  /** The script switches databases (pg_dumpall, pg_dump --create). */
  connects: boolean;
}

const KEY = "[A-Za-z0-9]+";
const DB_ARG = `(?:"(?:[^"\\\\\`]|"")*"|[A-Za-z0-9_.$-]+)`;
const ALLOWED_COMMAND = new RegExp(`^\\\\(?:(restrict|unrestrict) ${KEY}|(connect) (?:-reuse-previous=on )?${DB_ARG})$`);
/** pg_dump writes `COPY name (cols) FROM stdin;` and nothing after it on the line. */
const COPY_FROM_STDIN = /^\s*COPY\s[\s\S]*\sFROM\s+STDIN\b[^;]*$/i;

/**
 * The script's lines as psql reads them: split at \n only (a \r stays in its line), bytes kept
 * 1:1 as latin1 characters so any client encoding passes through unchanged.
 */
export async function* readScriptLines(file: string): AsyncGenerator<string> {
  for await (const batch of readScriptLineBatches(file)) yield* batch;
}

/** The same lines, a chunk's worth at a time (a per-line await would dominate on a large dump). */
async function* readScriptLineBatches(file: string): AsyncGenerator<string[]> {
  let rest = "";
  for await (const chunk of createReadStream(file, { encoding: "latin1", highWaterMark: 1 << 20 })) {
    const parts = (rest + (chunk as string)).split("\n");
    rest = parts.pop()!;
    yield parts;
  }
  if (rest !== "") yield [rest];
}

/** psql ends COPY data at `\.` alone on a line, with or without a carriage return. */
export const isCopyEnd = (line: string): boolean => line === "\\." || line === "\\.\r";

function refuse(file: string, line: number, what: string): never {
  throw new SourceError(
    `${file}, line ${line}: ${what}. dbclone refuses psql backslash commands in SQL dumps (only \\restrict, \\unrestrict, \\connect and the \\. ending COPY data, as pg_dump writes them); ` +
      `re-create the dump with pg_dump/pg_dumpall, or remove that line.`,
  );
}

/** One pass over the script under one reading of backslashes in '…' strings. */
async function checkOnce(file: string, standardStrings: boolean): Promise<ScriptFacts> {
  const facts: ScriptFacts = { restricts: false, connects: false };
  let state: SqlScanState = startOfScan(standardStrings);
  let inCopyData = false;
  let n = 0;
  for await (const batch of readScriptLineBatches(file))
    for (const line of batch) {
      n++;
      if (inCopyData) {
        // psql hands these lines to the server untouched; `\.` alone ends them.
        if (isCopyEnd(line)) inCopyData = false;
        continue;
      }
      if (state.mode === "code" && line.startsWith("\\")) {
        if (!state.atStatementStart) refuse(file, n, "a backslash command inside an unfinished SQL statement");
        const m = ALLOWED_COMMAND.exec(line);
        if (!m) refuse(file, n, `the psql command ${JSON.stringify(line.split(/\s/)[0]!.slice(0, 20))} is not one pg_dump writes`);
        if (m[1] === "restrict") facts.restricts = true;
        if (m[2] === "connect") facts.connects = true;
        continue;
      }
      const result = scanSqlLine(line, state);
      if (result.backslashAt !== undefined)
        refuse(file, n, `a backslash outside quotes at column ${result.backslashAt + 1}, which psql would run as a command`);
      state = result.state;
      const copy = result.finished.find((stmt) => COPY_FROM_STDIN.test(stmt));
      if (copy !== undefined) {
        if (result.finished.at(-1) !== copy || !state.atStatementStart) refuse(file, n, "text after COPY … FROM stdin on the same line");
        inCopyData = true;
      }
    }
  // psql would read the rest of the input as COPY data; nothing dangerous, but not a dump either.
  if (inCopyData) refuse(file, n, "the file ends inside COPY data (no \\. line)");
  return facts;
}

/**
 * Refuse a script psql would run anything but SQL from. The script is read twice — once with
 * standard_conforming_strings on, once off — because a script can switch it where psql sees it
 * and we do not; a backslash that is a command under either reading refuses the file.
 */
export async function checkDumpScript(file: string): Promise<ScriptFacts> {
  // The build probes every source before it restores: the same unchanged file is read once.
  const s = await stat(file);
  const key = `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  const known = checked.get(key);
  if (known) return known;
  const facts = await checkOnce(file, true);
  await checkOnce(file, false);
  checked.set(key, facts);
  return facts;
}

const checked = new Map<string, ScriptFacts>();
