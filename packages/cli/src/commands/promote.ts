// `dbclone promote <clone> --as <image>:<version>`: a clone's data becomes a new image version
// layered on the one it was cloned from (or flattened into a single layer). The clone is consumed.
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { collect, collectLabel, examples } from "../options.js";
import { formatBytes, writeJson } from "../output.js";

export function registerPromote(program: Command, ctx: CliContext): void {
  program
    .command("promote")
    .description("stop a clone cleanly and publish its data as a new image version (a layer over its source); the clone is consumed")
    .argument("<clone>", "clone id (c-…) or name")
    .requiredOption("--as <image:version>", "the new version, e.g. shop:v2")
    .option("--flatten", "write a single-layer version (the whole chain) instead of a layer over the source")
    .option("--tag <tag>", "point this tag at the new version (repeatable)", collect)
    .option("--label <key=value>", "label recorded in the manifest (repeatable)", collectLabel)
    .addHelpText("after", examples("dbclone promote pr-42 --as shop:v2", "dbclone promote c-abcdefgh23 --as shop:v3 --flatten --tag latest"))
    .action(async (clone: string, opts: { as: string; flatten?: boolean; tag?: string[]; label?: Record<string, string> }, cmd: Command) => {
      const { home, json } = ctx.globals(cmd);
      const repository = await ctx.openRepository(cmd, { create: true });
      const { promoteClone } = await import("../../../core/src/promote/index.js");
      const result = await promoteClone({
        repository,
        home,
        reporter: ctx.reporter,
        clone,
        as: opts.as,
        flatten: Boolean(opts.flatten),
        tags: opts.tag,
        labels: opts.label,
        build: { actor: ctx.io.env.GITHUB_ACTOR ?? ctx.io.env.USER },
      });
      const { image, source } = result;
      if (json) {
        return writeJson(ctx.io.stdout, {
          name: image.name,
          version: image.version,
          imageDigest: image.manifestDigest,
          parent: image.manifest.parent ?? null,
          source: `${source.name}:${source.version}`,
          flattened: result.flattened,
          blobBytes: result.blobBytes,
          chainDepth: result.chainDepth,
          seconds: result.seconds,
        });
      }
      const how = result.flattened
        ? "flattened, 1 layer"
        : `layer ${formatBytes(result.blobBytes)} over ${source.name}:${source.version}, ${result.chainDepth} layers`;
      ctx.print(`Promoted to ${image.name}:${image.version} (${how}) in ${result.seconds.toFixed(1)} s\nDigest: ${image.manifestDigest}`);
    });
}
