// PostgreSQL echoes data in the lines around an error: DETAIL (`Key (email)=(…) already
// exists`), CONTEXT (`COPY users, line 3: "…"`), LINE n with a caret, pg_restore's `Command was:`
// (the statement, INSERT values and all). Such text must not reach a log, summary or the audit
// chain, so it is cut before an error message is made from a tool's output.

/** Lines that start a block of echoed data; the block runs until the next tool/severity line. */
const DATA_LINE = /^(?:\S+:\S*:\d+:\s*)?(?:DETAIL|CONTEXT|QUERY|STATEMENT|LINE \d+|Command was):/;
const KEEP_LINE = /^(?:pg_restore|pg_dump|pg_dumpall|psql|pg_basebackup|initdb|postgres)[:\s]|^(?:\S+:\S*:\d+:\s*)?(?:ERROR|FATAL|PANIC|WARNING|HINT|NOTICE):/;

export function withoutDataLines(text: string): string {
  const kept: string[] = [];
  let skipping = false;
  let cut = 0;
  for (const line of text.split("\n")) {
    if (DATA_LINE.test(line)) {
      skipping = true;
      cut++;
    } else if (KEEP_LINE.test(line)) skipping = false;
    else if (skipping || /^\s*\^\s*$/.test(line)) {
      cut++;
      continue;
    }
    if (!skipping) kept.push(line);
  }
  return cut > 0 ? `${kept.join("\n").trimEnd()}\n(${cut} line(s) of detail that may echo data values left out)` : text;
}
