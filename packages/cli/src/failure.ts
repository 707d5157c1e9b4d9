// How a failed command is reported: one line on stderr, or with --json {"error":{"message","code"}}
// on stdout; usage errors point at the failing subcommand's own --help. Exit codes are the same
// either way: 2 usage, 1 failure.
import { CommanderError, type Command } from "commander";
import { DbcloneError } from "../../core/src/errors.js";
import type { CliContext } from "./context.js";
import { writeJson } from "./output.js";

export const EXIT_USAGE = 2;

/** UsageError → "usage", ImageNotFoundError → "image-not-found"; commander's errors are "usage". */
export function errorCode(e: unknown): string {
  if (e instanceof CommanderError) return "usage";
  if (e instanceof DbcloneError) {
    const name = e.name.replace(/Error$/, "") || "Dbclone";
    return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
  }
  return "internal";
}

/** The subcommand argv names (`dbclone audit`), skipping global options and their values. */
export function subcommandPath(program: Command, args: string[]): string {
  const valued = new Set(program.options.filter((o) => o.required || o.optional).map((o) => o.long));
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith("-")) {
      if (valued.has(a)) i++;
      continue;
    }
    const sub = program.commands.find((c) => c.name() === a || c.aliases().includes(a));
    return sub ? `dbclone ${sub.name()}` : "dbclone";
  }
  return "dbclone";
}

/** "…got 2." + "see dbclone teardown --help" → "…got 2; see dbclone teardown --help". */
export const withHelpPointer = (message: string, commandPath: string): string => `${message.replace(/[\s.;:]+$/, "")}; see ${commandPath} --help`;

export function reportFailure(e: unknown, ctx: CliContext, opts: { json: boolean; commandPath: string }): number {
  const finish = (message: string, exitCode: number): number => {
    const text = oneLine(ctx.reporter.redact(message));
    if (opts.json) writeJson(ctx.io.stdout, { error: { message: text, code: errorCode(e) } });
    else ctx.io.stderr.write(`dbclone: ${text}\n`);
    return exitCode;
  };
  if (e instanceof CommanderError) {
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
    if (e.code === "commander.help") return e.exitCode === 0 ? 0 : EXIT_USAGE;
    // Commander puts its suggestion on a second line: "(Did you mean images?)".
    const message = e.message.replace(/^error: /, "").replace(/\s*\n\s*\(Did you mean/, " (did you mean");
    return finish(withHelpPointer(message, opts.commandPath), EXIT_USAGE);
  }
  if (e instanceof DbcloneError) {
    if (ctx.debug && e.stack) ctx.io.stderr.write(`${ctx.reporter.redact(e.stack)}\n`);
    const message = e.exitCode === EXIT_USAGE ? withHelpPointer(e.message, opts.commandPath) : e.message;
    return finish(message, e.exitCode);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  if (ctx.debug && err.stack) ctx.io.stderr.write(`${ctx.reporter.redact(err.stack)}\n`);
  return finish(`unexpected error: ${err.message}${ctx.debug ? "" : " (run with --debug for details)"}`, 1);
}

// Messages may carry a command's stderr tail; keep the contract of one line per failure.
const oneLine = (s: string): string =>
  s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(" | ");
