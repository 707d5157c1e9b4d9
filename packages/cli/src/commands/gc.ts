// `dbclone gc`: remove expired clones and recover what crashed runs left behind.
// The core machinery is loaded on use, so listing commands start fast and work even while it cannot load.
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { examples } from "../options.js";
import { writeJson } from "../output.js";

export function registerGc(program: Command, ctx: CliContext): void {
  program
    .command("gc")
    .description("remove expired clones and orphans (processes gone, mounts left, disks without a record)")
    .addHelpText("after", examples("dbclone gc", "dbclone gc --json"))
    .action(async (_opts: unknown, cmd: Command) => {
      const { home, json } = ctx.globals(cmd);
      const { collectGarbage } = await import("../../../core/src/clones/lifecycle.js");
      const result = await collectGarbage({ home, reporter: ctx.reporter });
      if (json) return writeJson(ctx.io.stdout, result);
      ctx.print(
        `Expired clones removed: ${result.expired.length ? result.expired.join(", ") : "none"}\n` +
          `Orphans recovered: ${result.orphans.length ? result.orphans.join(", ") : "none"}\n` +
          `Leftovers released: ${result.released.length}`,
      );
    });
}
