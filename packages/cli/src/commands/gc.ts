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
    .option("--github", "also remove clones whose pull request is closed or branch deleted (asks the GitHub API; GITHUB_TOKEN, GITHUB_REPOSITORY)")
    .addHelpText("after", examples("dbclone gc", "dbclone gc --json", "GITHUB_REPOSITORY=acme/shop GITHUB_TOKEN=… dbclone gc --github"))
    .action(async (opts: { github?: boolean }, cmd: Command) => {
      const { home, json } = ctx.globals(cmd);
      // The sweep asks GitHub first, outside the registry lock that gc takes.
      const swept = opts.github ? await (await import("./gc-github.js")).sweepFromEnv(home, ctx.reporter) : undefined;
      const { collectGarbage } = await import("../../../core/src/clones/index.js");
      const result = await collectGarbage({ home, reporter: ctx.reporter });
      if (json) return writeJson(ctx.io.stdout, swept ? { ...result, github: swept } : result);
      ctx.print(
        (swept ? `Closed PRs / deleted branches: ${swept.removed.length ? swept.removed.join(", ") : "none"}\n` : "") +
          `Expired clones removed: ${result.expired.length ? result.expired.join(", ") : "none"}\n` +
          `Orphans recovered: ${result.orphans.length ? result.orphans.join(", ") : "none"}\n` +
          `Leftovers released: ${result.released.length}`,
      );
    });
}
