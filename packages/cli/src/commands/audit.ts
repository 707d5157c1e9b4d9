// `dbclone audit`: the repository's hash-chained event log; `--verify` proves it unedited (and, with
// an OCI repository, every runner's published chain); `audit anchor` pins its head outside the log.
import type { Command } from "commander";
import { AuditError, UsageError } from "../../../core/src/errors.js";
import type { CliContext } from "../context.js";
import { examples, positiveInteger } from "../options.js";
import { formatTable, shortDigest, writeJson } from "../output.js";

interface AuditOptions {
  verify?: boolean;
  image?: string;
  limit: number;
  git?: string;
  oci?: boolean;
}

export function registerAudit(program: Command, ctx: CliContext): void {
  program
    .command("audit")
    .description("show the repository's audit events, newest last; --verify checks the hash chain; 'anchor' pins its head")
    .argument("[action]", "'verify' (same as --verify) or 'anchor' (write the head to --git <dir> and/or --oci)")
    .option("--verify", "check that no event was edited, removed or reordered, against the newest anchor too (exit 1 if not)")
    .option("--git <dir>", "git repository holding anchor tags (default for --verify: the current directory)")
    .option("--oci", "anchor: write the head as an artifact in the (OCI) repository's registry")
    .option("--image <name>", "only events of this image (name or name:version)")
    .option("--limit <n>", "show the last n events", positiveInteger("--limit"), 20)
    .addHelpText(
      "after",
      examples("dbclone audit", "dbclone audit --image orders --limit 5", "dbclone audit verify", "dbclone audit anchor --git .", "dbclone audit anchor --oci"),
    )
    .action(async (word: string | undefined, opts: AuditOptions, cmd: Command) => {
      if (word !== undefined && word !== "verify" && word !== "anchor") throw new UsageError(`audit takes 'verify' or 'anchor', got '${word}'`);
      const repository = await ctx.openRepository(cmd);
      const json = ctx.globals(cmd).json;
      const core = await import("../../../core/src/repository/index.js");
      if (word === "anchor") {
        const { anchor, written } = await core.anchorAudit(repository, { gitDir: opts.git, oci: opts.oci });
        if (json) return writeJson(ctx.io.stdout, { anchor, written });
        ctx.print(`Anchored event ${anchor.seq} (${shortDigest(anchor.hash)}) of ${anchor.log}:\n${written.map((w) => `  ${w}`).join("\n")}`);
        return;
      }
      if (opts.verify || word === "verify") {
        const report = await core.verifyAudit(repository, { gitDir: opts.git });
        if (json) writeJson(ctx.io.stdout, report);
        else ctx.print(describeReport(report));
        if (!report.ok) {
          const why =
            report.local.problem?.reason ?? report.anchors.find((a) => !a.ok)?.problem ?? report.runners?.find((r) => !r.ok)?.problem ?? "unknown problem";
          throw new AuditError(`audit log of ${repository.location} fails verification: ${why}`);
        }
        return;
      }
      const events = (await repository.audit.read(opts.image ? { image: opts.image } : {})).slice(-opts.limit);
      if (json) return writeJson(ctx.io.stdout, events);
      if (events.length === 0) return ctx.reporter.info(`No audit events in ${repository.location}${opts.image ? ` for ${opts.image}` : ""}.`);
      const rows = events.map((e) => [
        String(e.seq),
        e.time,
        e.action,
        e.outcome,
        e.actor,
        e.image ?? "-",
        e.digest ? shortDigest(e.digest) : "-",
        e.clone ?? "-",
        e.detail ?? "",
      ]);
      ctx.print(formatTable(["SEQ", "TIME", "ACTION", "OUTCOME", "ACTOR", "IMAGE", "DIGEST", "CLONE", "DETAIL"], rows));
    });
}

type Report = Awaited<ReturnType<typeof import("../../../core/src/repository/index.js").verifyAudit>>;

function describeReport(r: Report): string {
  const out: string[] = [];
  out.push(r.local.ok ? `Audit log OK: ${r.local.events} events, hash chain intact` : `Audit log FAILS: ${r.local.problem?.reason}`);
  for (const repair of r.local.repairs ?? []) out.push(`  repaired at event ${repair.seq} (${repair.time}): ${repair.detail}`);
  if (r.local.keyed) out.push(`  keyed: ${r.local.keyed.keyed} events carry a valid HMAC, ${r.local.keyed.unkeyed} older ones none`);
  for (const a of r.anchors) out.push(a.ok ? `Anchor OK: event ${a.anchor.seq} matches ${a.source}` : `Anchor FAILS: ${a.problem}`);
  if (r.anchors.length === 0) out.push("No anchor found (dbclone audit anchor --git . or --oci writes one)");
  for (const c of r.runners ?? []) {
    const actions = Object.entries(c.actions)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    out.push(c.ok ? `Runner ${c.runner} OK: ${c.events} events in ${c.segments} segment(s) (${actions})` : `Runner ${c.runner} FAILS: ${c.problem}`);
  }
  return out.join("\n");
}
