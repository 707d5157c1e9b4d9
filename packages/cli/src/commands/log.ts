// `dbclone log <ref>`: the chain of versions a version layers on, newest first.
import type { Command } from "commander";
import { parseImageRef } from "../../../core/src/image/index.js";
import { imageLog, type LogEntry } from "../../../core/src/lineage/index.js";
import type { CliContext } from "../context.js";
import { examples } from "../options.js";
import { formatBytes, formatTable, shortDigest, writeJson } from "../output.js";

export function registerLog(program: Command, ctx: CliContext): void {
  program
    .command("log")
    .description("print the chain of versions an image version derives from (parent, commit, who, when, masking policy)")
    .argument("<ref>", "name, name:version, name:tag or name@sha256:<hex>")
    .addHelpText("after", examples("dbclone log shop:v3", "dbclone log shop:latest --json"))
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const repository = await ctx.openRepository(cmd);
      const image = await repository.resolve(parseImageRef(ref));
      const entries = await imageLog(repository, image);
      if (ctx.globals(cmd).json)
        return writeJson(
          ctx.io.stdout,
          entries.map(({ manifestDigest, ...rest }) => ({ ...rest, imageDigest: manifestDigest })),
        );
      ctx.print(formatLog(entries));
    });
}

export function formatLog(entries: LogEntry[]): string {
  const rows = entries.map((e) => [
    `${e.name}:${e.version}`,
    shortDigest(e.manifestDigest),
    e.parent ? shortDigest(e.parent) : "-",
    e.created,
    e.actor ?? "-",
    e.commit ? e.commit.slice(0, 12) : "-",
    e.maskingPolicyDigest ? shortDigest(e.maskingPolicyDigest) : "-",
    formatBytes(e.diskSizeBytes),
    e.promotedFrom ? `${e.sourceKind} (from ${e.promotedFrom.split("@")[0]})` : e.sourceKind,
  ]);
  return formatTable(["VERSION", "DIGEST", "PARENT", "CREATED", "BY", "COMMIT", "MASKING", "LAYER", "SOURCE"], rows);
}
