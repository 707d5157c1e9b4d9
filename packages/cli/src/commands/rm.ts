// `dbclone rm <ref>`: delete a version; the repository refuses while tags, child versions or
// live clones (from the local registry) still use it.
import type { Command } from "commander";
import { parseImageRef } from "../../../core/src/image/index.js";
import type { CliContext } from "../context.js";
import { examples } from "../options.js";
import { writeJson } from "../output.js";

export function registerRm(program: Command, ctx: CliContext): void {
  program
    .command("rm")
    .description("delete an image version (refused while a tag, child version or live clone uses it)")
    .argument("<ref>", "name:version, name:tag or name@sha256:<hex>")
    .option("--force", "delete even though tags or live clones reference it")
    .addHelpText("after", examples("dbclone rm orders:20260101-120000", "dbclone rm orders@sha256:<hex> --force"))
    .action(async (ref: string, opts: { force?: boolean }, cmd: Command) => {
      const parsed = parseImageRef(ref);
      const repository = await ctx.openRepository(cmd);
      const image = await repository.resolve(parsed);
      const liveCloneDigests = [...new Set((await ctx.registry(cmd).list()).map((r) => r.image.manifestDigest))];
      await repository.delete(image, { liveCloneDigests, force: Boolean(opts.force) });
      if (ctx.globals(cmd).json)
        return writeJson(ctx.io.stdout, { name: image.name, version: image.version, imageDigest: image.manifestDigest, deleted: true });
      ctx.print(`Deleted ${image.name}:${image.version} (${image.manifestDigest})`);
    });
}
