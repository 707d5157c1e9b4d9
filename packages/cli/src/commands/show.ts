// `dbclone show <ref>`: what an image holds, from its manifest.
import type { Command } from "commander";
import { parseImageRef } from "../../../core/src/image/index.js";
import type { PublishedImage } from "../../../core/src/repository/index.js";
import type { CliContext } from "../context.js";
import { examples } from "../options.js";
import { formatBytes, formatTable, writeJson } from "../output.js";

export function registerShow(program: Command, ctx: CliContext): void {
  program
    .command("show")
    .description("show an image version's manifest (--json: the whole manifest and its digest)")
    .argument("<ref>", "name, name:version, name:tag or name@sha256:<hex>")
    .addHelpText("after", examples("dbclone show orders:latest", "dbclone show orders:20260101-120000 --json"))
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const parsed = parseImageRef(ref);
      const repository = await ctx.openRepository(cmd);
      const image = await repository.resolve(parsed);
      if (ctx.globals(cmd).json) return writeJson(ctx.io.stdout, { imageDigest: image.manifestDigest, manifest: image.manifest });
      const tags = Object.entries(await repository.tags(image.name))
        .filter(([, version]) => version === image.version)
        .map(([tag]) => tag);
      const { imageLog } = await import("../../../core/src/lineage/index.js");
      const chain = await imageLog(repository, image);
      ctx.print(describeImage(image, tags));
      if (chain.length > 1)
        ctx.print(`\nChain (${chain.length} layers, newest first):\n${chain.map((e) => `  ${e.name}:${e.version}  ${e.manifestDigest}`).join("\n")}`);
    });
}

export function describeImage(image: PublishedImage, tags: string[]): string {
  const m = image.manifest;
  const lines = [
    `Image:     ${image.name}:${image.version}`,
    `Digest:    ${image.manifestDigest}`,
    `Tags:      ${tags.join(", ") || "-"}`,
    `Created:   ${m.created}`,
    `Engine:    ${m.engine.kind} ${m.engine.version} (${m.platform.os}, ${m.platform.diskFormat})`,
    `Disk:      ${formatBytes(m.disk.sizeBytes)} stored, ${formatBytes(m.disk.virtualSizeBytes)} virtual, ${m.disk.digest}`,
    `Source:    ${m.source.kind}: ${m.source.description} (captured ${m.source.capturedAt})`,
  ];
  if (m.parent) lines.push(`Parent:    ${m.parent}`);
  if (m.unmasked) {
    lines.push(`UNMASKED:  published with personal data on purpose: ${m.unmasked.reason}`);
    lines.push(`           ${m.unmasked.piiCandidates.map((c) => `${String(c.table)}.${String(c.column)}`).join(", ")}`);
  }
  if (m.masking) {
    const l = m.masking.leakScan;
    const leak = !l
      ? ""
      : l.mode === "none"
        ? `, leak scan skipped: ${l.reason ?? "no reason recorded"}`
        : `, leak scan ${l.valuesSearched ?? l.probes}${l.valuesTotal !== undefined ? ` of ${l.valuesTotal}` : ""} values, ${l.hits} hits in ${formatBytes(l.bytesScanned)}`;
    lines.push(`Masking:   ${m.masking.rules.length} rules, ${m.masking.rowsChanged} rows changed${leak}`);
    for (const c of l?.copies ?? [])
      lines.push(`           copy ${String(c.verdict)}: ${String(c.column)} holds ${String(c.originals)} value(s) of masked ${String(c.source)}`);
    for (const n of m.masking.notPersonal ?? []) lines.push(`           not personal: ${n.column} (${n.reason})`);
  } else if (!m.unmasked) lines.push("Masking:   none");
  if (m.git?.commit) lines.push(`Git:       ${[m.git.repository, m.git.ref, m.git.commit].filter(Boolean).join(" ")}`);
  const labels = Object.entries(m.labels ?? {});
  if (labels.length) lines.push(`Labels:    ${labels.map(([k, v]) => `${k}=${v}`).join(", ")}`);
  lines.push(
    "",
    formatTable(
      ["DATABASE", "SIZE", "TABLES"],
      m.databases.map((d) => [d.name, formatBytes(d.sizeBytes), String(d.tables.length)]),
    ),
  );
  return lines.join("\n");
}
