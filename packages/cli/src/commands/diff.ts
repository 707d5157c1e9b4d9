// `dbclone diff <ref> <ref>`: databases and tables whose row counts or schema differ, from the manifests.
import type { Command } from "commander";
import { parseImageRef } from "../../../core/src/image/index.js";
import { diffManifests, type ManifestDiff } from "../../../core/src/lineage/index.js";
import type { CliContext } from "../context.js";
import { examples } from "../options.js";
import { formatTable, writeJson } from "../output.js";

export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command("diff")
    .description("list databases and tables whose row counts or columns differ between two versions (from their manifests)")
    .argument("<from>", "the older version")
    .argument("<to>", "the newer version")
    .addHelpText("after", examples("dbclone diff shop:v1 shop:v2", "dbclone diff shop:v1 shop:latest --json"))
    .action(async (from: string, to: string, _opts: unknown, cmd: Command) => {
      const repository = await ctx.openRepository(cmd);
      const a = await repository.resolve(parseImageRef(from));
      const b = await repository.resolve(parseImageRef(to));
      const diff = diffManifests(a.manifest, b.manifest);
      if (ctx.globals(cmd).json) return writeJson(ctx.io.stdout, diff);
      ctx.print(formatDiff(diff, `${a.name}:${a.version}`, `${b.name}:${b.version}`));
    });
}

export function formatDiff(diff: ManifestDiff, from: string, to: string): string {
  if (diff.same) return `No differences in databases, tables, row counts or columns between ${from} and ${to}.`;
  const lines: string[] = [];
  for (const d of diff.databasesAdded) lines.push(`+ database ${d}`);
  for (const d of diff.databasesRemoved) lines.push(`- database ${d}`);
  const rows = diff.tables.map((t) => {
    const detail = [
      t.rowsBefore !== undefined || t.rowsAfter !== undefined ? `rows ${t.rowsBefore ?? "-"} → ${t.rowsAfter ?? "-"}` : "",
      t.columnsAdded?.length ? `+${t.columnsAdded.join(", +")}` : "",
      t.columnsRemoved?.length ? `-${t.columnsRemoved.join(", -")}` : "",
      ...(t.columnsChanged ?? []),
    ].filter(Boolean);
    return [t.database, `${t.schema}.${t.table}`, t.changes.join("+"), detail.join("; ")];
  });
  if (rows.length) lines.push(formatTable(["DATABASE", "TABLE", "CHANGE", "DETAIL"], rows));
  return lines.join("\n");
}
