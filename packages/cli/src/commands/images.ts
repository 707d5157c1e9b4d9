// `dbclone images [name]`: versions in the repository, with their tags and sizes.
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { examples } from "../options.js";
import { formatBytes, formatTable, shortDigest, writeJson } from "../output.js";

export function registerImages(program: Command, ctx: CliContext): void {
  program
    .command("images")
    .description("list image versions in the repository, with tags and sizes")
    .argument("[name]", "only versions of this image")
    .addHelpText("after", examples("dbclone images", "dbclone images orders --json"))
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const repository = await ctx.openRepository(cmd);
      const images = await repository.list(name);
      if (ctx.globals(cmd).json)
        return writeJson(
          ctx.io.stdout,
          images.map(({ manifestDigest, ...rest }) => ({ ...rest, imageDigest: manifestDigest })),
        );
      if (images.length === 0) {
        ctx.reporter.info(name ? `No versions of '${name}' in ${repository.location}.` : `No images in ${repository.location}.`);
        return;
      }
      const rows = images.map((i) => [i.name, i.version, i.tags.join(",") || "-", formatBytes(i.diskSizeBytes), i.created, shortDigest(i.manifestDigest)]);
      ctx.print(formatTable(["NAME", "VERSION", "TAGS", "SIZE", "CREATED", "DIGEST"], rows));
    });
}
