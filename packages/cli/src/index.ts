#!/usr/bin/env node
// Entry of the `dbclone` binary: everything lives in main(), which never exits the process itself.
import { main } from "./main.js";

// `dbclone log | head`: the reader has what it wanted and closed the pipe. That is the end of the
// output, not a failure: leave quietly (exit 0) instead of crashing on an unhandled EPIPE.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  process.stderr.write(`dbclone: cannot write the output: ${e.message}\n`);
  process.exit(1);
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`dbclone: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
