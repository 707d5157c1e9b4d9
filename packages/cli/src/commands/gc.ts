// `dbclone gc`: remove expired clones and recover what crashed runs left behind.
// The core machinery is loaded on use, so listing commands start fast and work even while it cannot load.
import path from "node:path";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { examples } from "../options.js";
import { writeJson } from "../output.js";

export function registerGc(program: Command, ctx: CliContext): void {
  program
    .command("gc")
    .description("remove expired clones and orphans (processes gone, mounts left, disks without a record)")
    .option("--github", "also remove clones whose pull request is closed or branch deleted (asks the GitHub API; GITHUB_TOKEN, GITHUB_REPOSITORY)")
    .option("--remove-pool", "then unmount and delete the reflink pool (expanded images, pool file) when no clone uses it, e.g. before removing DBCLONE_HOME")
    .addHelpText(
      "after",
      examples("dbclone gc", "dbclone gc --json", "GITHUB_REPOSITORY=acme/shop GITHUB_TOKEN=… dbclone gc --github", "dbclone gc --remove-pool") +
        "\nExpanded images in the reflink pool that no clone used for DBCLONE_POOL_KEEP_DAYS (default 7) are evicted.\n",
    )
    .action(async (opts: { github?: boolean; removePool?: boolean }, cmd: Command) => {
      const { home, json } = ctx.globals(cmd);
      // The sweep asks GitHub first, outside the registry lock that gc takes.
      const swept = opts.github ? await (await import("./gc-github.js")).sweepFromEnv(home, ctx.reporter) : undefined;
      const { collectGarbage } = await import("../../../core/src/clones/index.js");
      const result = await collectGarbage({ home, reporter: ctx.reporter });
      const poolRemoved = opts.removePool ? await removeReflinkPool(home, ctx) : undefined;
      if (json) return writeJson(ctx.io.stdout, { ...result, ...(swept ? { github: swept } : {}), ...(poolRemoved !== undefined ? { poolRemoved } : {}) });
      ctx.print(
        (swept ? `Closed PRs / deleted branches: ${swept.removed.length ? swept.removed.join(", ") : "none"}\n` : "") +
          `Expired clones removed: ${result.expired.length ? result.expired.join(", ") : "none"}\n` +
          `Orphans recovered: ${result.orphans.length ? result.orphans.join(", ") : "none"}\n` +
          `Leftovers released: ${result.released.length}` +
          (poolRemoved === undefined ? "" : poolRemoved ? "\nReflink pool removed" : "\nReflink pool: none"),
      );
    });
}

/** The home's reflink pool, unmounted and deleted (refused, with the reason, while a clone uses it); false when there was none. */
async function removeReflinkPool(home: string, ctx: CliContext): Promise<boolean> {
  const { ReflinkDriver } = await import("../../../core/src/disk/index.js");
  return new ReflinkDriver({ home, stateDir: path.join(home, "state"), reporter: ctx.reporter }).removePool();
}
