// The `dbclone` command with every subcommand (main.cjs; clone-main.ts is `dbclone clone` alone).
import { ALL_COMMANDS } from "./command-list.js";
import type { CliIo } from "./context.js";
import { processIo, runCli } from "./run.js";

/** Run the CLI with `argv` as in process.argv (node, script, ...args); resolves to the exit code. */
export function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  return runCli(argv, io, ALL_COMMANDS);
}
