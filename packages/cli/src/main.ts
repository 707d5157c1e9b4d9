// The `dbclone` command: parse, run one command, map failures to one line and an exit code
// (2 usage, 1 failure, 0 success). Never calls process.exit, so tests can run it in-process.
import { CommanderError } from "commander";
import { DbcloneError } from "../../core/src/errors.js";
import { CliContext, isDebugEnv, type CliIo } from "./context.js";
import { buildProgram, CLI_VERSION } from "./program.js";

const EXIT_USAGE = 2;

/** Run the CLI with `argv` as in process.argv (node, script, ...args); resolves to the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  // --debug is read before parsing so that even a parse failure can show its stack.
  const debug = argv.slice(2).includes("--debug") || isDebugEnv(io.env);
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
    return reportFailure(e, ctx);
  }
}

function reportFailure(e: unknown, ctx: CliContext): number {
  const say = (message: string) => ctx.io.stderr.write(`dbclone: ${oneLine(ctx.reporter.redact(message))}\n`);
  if (e instanceof CommanderError) {
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
    if (e.code === "commander.help") return e.exitCode === 0 ? 0 : EXIT_USAGE;
    // Commander puts its suggestion on a second line: "(Did you mean images?)".
    const message = e.message.replace(/^error: /, "").replace(/\s*\n\s*\(Did you mean/, " (did you mean");
    say(`${message}; see dbclone --help`);
    return EXIT_USAGE;
  }
  if (e instanceof DbcloneError) {
    say(e.message);
    if (ctx.debug && e.stack) ctx.io.stderr.write(ctx.reporter.redact(e.stack) + "\n");
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  say(`unexpected error: ${err.message}${ctx.debug ? "" : " (run with --debug for details)"}`);
  if (ctx.debug && err.stack) ctx.io.stderr.write(ctx.reporter.redact(err.stack) + "\n");
  return 1;
}

// Messages may carry a command's stderr tail; keep the contract of one line per failure.
const oneLine = (s: string): string =>
  s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(" | ");

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
