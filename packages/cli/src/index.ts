#!/usr/bin/env node
// Entry of the `dbclone` binary: everything lives in main(), which never exits the process itself.
import { main } from "./main.js";

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`dbclone: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
