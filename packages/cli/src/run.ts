// Parse, run one command, map failures to one line (or one JSON error) and an exit code (2 usage,
// 1 failure, 0 success), with the commands the calling entry brings. Never calls process.exit, so
// tests can run it in-process.
import { CliContext, isDebugEnv, type CliIo } from "./context.js";
import { reportFailure, subcommandPath } from "./failure.js";
import { buildProgram, CLI_VERSION, type RegisterCommand } from "./program.js";

/** Run the CLI with `argv` as in process.argv (node, script, ...args); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo, commands: readonly RegisterCommand[]): Promise<number> {
  const args = argv.slice(2);
  // --debug and --json are read before parsing so that even a parse failure honours them.
  const debug = args.includes("--debug") || isDebugEnv(io.env);
  const json = args.includes("--json");
  const ctx = new CliContext(io, debug);
  // Only a leading --version is the tool's: `build … --version v1` is the image version.
  if (argv[2] === "--version" || argv[2] === "-V") {
    io.stdout.write(`${CLI_VERSION}\n`);
    return 0;
  }
  const program = buildProgram(ctx, commands);
  try {
    await program.parseAsync(argv);
    return ctx.exitCode ?? 0;
  } catch (e) {
    return reportFailure(e, ctx, { json, commandPath: subcommandPath(program, args) });
  }
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/**
 * Run as the process: an exit code, never an unhandled rejection or an EPIPE crash. `exitWhenDone`:
 * end the process as soon as the command's output is flushed, instead of when nothing is left on
 * the event loop, for a command whose work is all awaited before it returns and that leaves nothing
 * behind that must finish (`clone`: its state is written before its result exists, its server is
 * detached). Node's own teardown of a natural exit costs a few ms a CI job waits for.
 */
export function runAsProcess(run: (argv: string[], io: CliIo) => Promise<number>, opts: { exitWhenDone?: boolean } = {}): void {
  // `dbclone log | head`: the reader has what it wanted and closed the pipe. That is the end of the
  // output, not a failure: leave quietly (exit 0) instead of crashing on an unhandled EPIPE.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    process.stderr.write(`dbclone: cannot write the output: ${e.message}\n`);
    process.exit(1);
  });
  const done = (code: number) => {
    process.exitCode = code;
    // Both streams' writes so far have been handed to the OS once these empty writes call back.
    if (opts.exitWhenDone) process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
  };
  run(process.argv, processIo()).then(done, (e: unknown) => {
    process.stderr.write(`dbclone: ${(e as Error)?.message ?? String(e)}\n`);
    done(1);
  });
}
