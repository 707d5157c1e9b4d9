// `dbclone teardown`: remove clones by id, name or labels. Removing one already gone succeeds.
// The core machinery is loaded on use, so listing commands start fast and work even while it cannot load.
import type { Command } from "commander";
import { UsageError } from "../../../core/src/errors.js";
import type { CliContext } from "../context.js";
import { collectLabel, examples } from "../options.js";
import { writeJson } from "../output.js";

export function registerTeardown(program: Command, ctx: CliContext): void {
  program
    .command("teardown")
    .description("stop and delete clones: by id, by --name, or every clone with all given --label")
    .argument("[id]", "clone id (c-…)")
    .option("--name <name>", "the clone with this name")
    .option("--label <key=value>", "clones carrying this label (repeatable: all must match)", collectLabel)
    .addHelpText("after", examples("dbclone teardown c-abcdefgh23", "dbclone teardown --name pr-42", "dbclone teardown --label pr=42"))
    .action(async (id: string | undefined, opts: { name?: string; label?: Record<string, string> }, cmd: Command) => {
      const given = [id !== undefined, opts.name !== undefined, opts.label !== undefined].filter(Boolean).length;
      if (given !== 1) throw new UsageError("teardown needs exactly one of: a clone id, --name NAME, or --label key=value");
      const { home, json } = ctx.globals(cmd);
      const { teardownClones } = await import("../../../core/src/clones/index.js");
      const result = await teardownClones({ home, reporter: ctx.reporter, id, name: opts.name, labels: opts.label });
      if (json) return writeJson(ctx.io.stdout, result);
      // Nothing removed has been said once already, by core ("No such clone: nothing to tear down.").
      if (result.removed.length) ctx.print(`Removed ${result.removed.length} clone(s): ${result.removed.join(", ")}`);
    });
}
