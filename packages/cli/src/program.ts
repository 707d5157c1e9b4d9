// The command tree: global options, output routing for commander, and one file per command.
import { Command, Option } from "commander";
import type { CliContext } from "./context.js";
import { registerAudit } from "./commands/audit.js";
import { registerBuild } from "./commands/build.js";
import { registerCatalog } from "./commands/catalog.js";
import { registerClone } from "./commands/clone.js";
import { registerClones } from "./commands/clones.js";
import { registerDemo } from "./commands/demo.js";
import { registerGc } from "./commands/gc.js";
import { registerImages } from "./commands/images.js";
import { registerRm } from "./commands/rm.js";
import { registerScan } from "./commands/scan.js";
import { registerShow } from "./commands/show.js";
import { registerDiff } from "./commands/diff.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerLog } from "./commands/log.js";
import { registerPromote } from "./commands/promote.js";
import { registerPrune } from "./commands/prune.js";
import { registerTag, registerUntag } from "./commands/tag.js";
import { registerTeardown } from "./commands/teardown.js";
import { examples } from "./options.js";
import { TOOL_VERSION } from "../../core/src/util/index.js";

/** One version for the CLI, the actions and manifests (scripts/release.mjs checks it against the tag). */
export const CLI_VERSION = TOOL_VERSION;

export function buildProgram(ctx: CliContext): Command {
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
  for (const register of [
    registerImages,
    registerShow,
    registerLog,
    registerDiff,
    registerPrune,
    registerPromote,
    registerTag,
    registerUntag,
    registerRm,
    registerAudit,
    registerCatalog,
    registerClones,
    registerBuild,
    registerScan,
    registerClone,
    registerTeardown,
    registerGc,
    registerDemo,
    registerDoctor,
  ]) {
    register(program, ctx);
  }
  return program;
}
