// The `dbclone` command: parse, run one command, map failures to one line (or one JSON error) and an
// exit code (2 usage, 1 failure, 0 success). Never calls process.exit, so tests can run it in-process.
import { CliContext, isDebugEnv, type CliIo } from "./context.js";
import { reportFailure, subcommandPath } from "./failure.js";
import { buildProgram, CLI_VERSION } from "./program.js";

/** Run the CLI with `argv` as in process.argv (node, script, ...args); resolves to the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
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
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return ctx.exitCode ?? 0;
  } catch (e) {
    return reportFailure(e, ctx, { json, commandPath: subcommandPath(program, args) });
  }
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
