// The command tree: global options, output routing for commander, and the commands an entry passes in
// (all of them from main.ts, one from clone-main.ts: a bundle holds only the commands it registers).
import { Command, Option } from "commander";
import type { CliContext } from "./context.js";
import { examples } from "./options.js";
import { TOOL_VERSION } from "../../core/src/util/index.js";

/** One version for the CLI, the actions and manifests (scripts/release.mjs checks it against the tag). */
export const CLI_VERSION = TOOL_VERSION;

/** Adds one subcommand (commands/*.ts). */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;

export function buildProgram(ctx: CliContext, commands: readonly RegisterCommand[]): Command {
  const program = new Command("dbclone")
    .description("Versioned, masked data images and sub-second writable database clones.")
    // No program-level --version: commander would take it from anywhere on the line, swallowing
    // `dbclone build shop --version v1`. main() answers a leading --version / -V instead.
    .addOption(new Option("--repo <dir>", "image repository (default: $DBCLONE_REPO, else <home>/repository)"))
    .addOption(
      new Option("--home <dir>", "local state: clone registry, clone disks (default: $DBCLONE_HOME, else /var/lib/dbclone as root, ~/.dbclone otherwise)"),
    )
    .option("--json", "print results as JSON on stdout")
    .option("--debug", "print debug messages and stacks (also DBCLONE_DEBUG=1)")
    .showSuggestionAfterError(true)
    // Every subcommand's --help lists --repo, --home, --json and --debug too (inherited by subcommands).
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      // Errors are printed once, as one line, by main().
      outputError: () => {},
    })
    .addHelpText(
      "after",
      examples(
        "dbclone images",
        "dbclone build orders --from-dump orders.dump --tag latest",
        "dbclone clone orders:latest --name pr-42 --ttl 2h --json",
        "dbclone teardown --name pr-42",
        "dbclone --version",
      ),
    );
  // Subcommands inherit exitOverride and configureOutput from here on.
  for (const register of commands) register(program, ctx);
  return program;
}
