// `dbclone audit`: the repository's hash-chained event log; `--verify` proves it unedited.
import type { Command } from "commander";
import { AuditError, UsageError } from "../../../core/src/errors.js";
import type { CliContext } from "../context.js";
import { examples, positiveInteger } from "../options.js";
import { formatTable, shortDigest, writeJson } from "../output.js";

interface AuditOptions {
  verify?: boolean;
  image?: string;
  limit: number;
}

export function registerAudit(program: Command, ctx: CliContext): void {
  program
    .command("audit")
    .description("show the repository's audit events, newest last; --verify checks the hash chain")
    .argument("[verify]", "same as --verify")
    .option("--verify", "check that no event was edited, removed or reordered (exit 1 if one was)")
    .option("--image <name>", "only events of this image (name or name:version)")
    .option("--limit <n>", "show the last n events", positiveInteger("--limit"), 20)
    .addHelpText("after", examples("dbclone audit", "dbclone audit --image orders --limit 5", "dbclone audit verify"))
    .action(async (word: string | undefined, opts: AuditOptions, cmd: Command) => {
      if (word !== undefined && word !== "verify") throw new UsageError(`audit takes no argument other than 'verify', got '${word}'`);
      const repository = await ctx.openRepository(cmd);
      const json = ctx.globals(cmd).json;
      if (opts.verify || word === "verify") {
        const result = await repository.audit.verify();
        if (!result.ok) {
          if (json) writeJson(ctx.io.stdout, result);
          throw new AuditError(`audit log of ${repository.location} fails verification: ${result.problem?.reason ?? "unknown problem"}`);
        }
        if (json) return writeJson(ctx.io.stdout, result);
        ctx.print(`Audit log OK: ${result.events} events, hash chain intact`);
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
