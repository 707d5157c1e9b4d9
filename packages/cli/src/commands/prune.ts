// `dbclone prune`: delete old versions, keeping tagged ones, those live clones use, parents of
// kept versions and versions built at git-tagged commits; reports what it frees.
import type { Command } from "commander";
import { UsageError } from "../../../core/src/errors.js";
import { gitTaggedCommits } from "../../../core/src/lineage/index.js";
import { DEFAULT_KEEP_LAST, pruneImages } from "../../../core/src/repository/index.js";
import type { CliContext } from "../context.js";
import { examples } from "../options.js";
import { formatBytes, formatTable, writeJson } from "../output.js";

const wholeNumber = (v: string): number => {
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`--keep-last must be a whole number (0 or more), got '${v}'`);
  return Number(v);
};

export function registerPrune(program: Command, ctx: CliContext): void {
  program
    .command("prune")
    .description("delete old image versions that nothing needs (tags, live clones, child versions and git-tagged commits keep theirs)")
    .argument("[name]", "only versions of this image")
    .option("--keep-last <n>", `newest versions to keep per image (default ${DEFAULT_KEEP_LAST})`, wholeNumber)
    .option("--dry-run", "report what would be deleted and freed, delete nothing")
    .option("--include-tagged-commits", "also delete versions built at a commit that carries a git tag")
    .addHelpText("after", examples("dbclone prune --dry-run", "dbclone prune shop --keep-last 3"))
    .action(async (name: string | undefined, opts: { keepLast?: number; dryRun?: boolean; includeTaggedCommits?: boolean }, cmd: Command) => {
      const repository = await ctx.openRepository(cmd);
      const liveCloneDigests = [...new Set((await ctx.registry(cmd).list()).map((r) => r.image.manifestDigest))];
      const result = await pruneImages(repository, {
        name,
        keepLast: opts.keepLast,
        dryRun: Boolean(opts.dryRun),
        includeTaggedCommits: Boolean(opts.includeTaggedCommits),
        liveCloneDigests,
        taggedCommits: opts.includeTaggedCommits ? [] : await gitTaggedCommits(),
      });
      if (ctx.globals(cmd).json) return writeJson(ctx.io.stdout, result);
      const verb = result.dryRun ? "Would delete" : "Deleted";
      const rows = [
        ...result.removed.map((e) => [`${e.name}:${e.version}`, result.dryRun ? "would delete" : "deleted", formatBytes(e.diskSizeBytes), ""]),
        ...result.kept.map((e) => [`${e.name}:${e.version}`, "kept", formatBytes(e.diskSizeBytes), e.reasons.join("; ")]),
      ];
      if (rows.length) ctx.print(formatTable(["VERSION", "ACTION", "BLOB", "WHY KEPT"], rows));
      ctx.print(`${verb} ${result.removed.length} version(s), freeing ${formatBytes(result.freedBytes)}.`);
    });
}
