// `dbclone demo`: sample database → image → two clones → isolation shown → teardown, timed.
// The core machinery is loaded on use, so listing commands start fast and work even while it cannot load.
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { examples, positiveInteger } from "../options.js";
import { writeJson } from "../output.js";

export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command("demo")
    .description("build a sample image, make two clones, show they are isolated, tear down (all timed)")
    .option("--size <MB>", "approximate size of the sample database in MB", positiveInteger("--size"), 100)
    .option("--keep", "use --home/--repo instead of a throwaway directory, so the demo image stays")
    .addHelpText("after", examples("dbclone demo", "dbclone demo --size 200", "dbclone demo --keep --repo ./demo-repo"))
    .action(async (opts: { size: number; keep?: boolean }, cmd: Command) => {
      const { home, repo, json } = ctx.globals(cmd);
      // With --json, stdout holds only the final report; the story goes to stderr.
      const print = (line: string) => (json ? ctx.io.stderr : ctx.io.stdout).write(`${line}\n`);
      const { runDemo } = await import("../../../core/src/demo/index.js");
      const report = await runDemo({
        sizeMb: opts.size,
        reporter: ctx.reporter,
        print,
        ...(opts.keep ? { home, repo } : {}),
      });
      if (json) writeJson(ctx.io.stdout, report);
    });
}
