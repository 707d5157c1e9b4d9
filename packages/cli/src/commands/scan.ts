// `dbclone scan <source>`: the PII scan alone — which columns look like personal data and are not
// masked by the policy (if one is given). A dump or data dir is restored into a throw-away disk.
import { stat } from "node:fs/promises";
import type { Command } from "commander";
import type { SourceSpec } from "../../../core/src/engine/index.js";
import { UsageError } from "../../../core/src/errors.js";
import type { CliContext } from "../context.js";
import { examples } from "../options.js";
import { writeJson } from "../output.js";

/** A source as typed: a postgres URL, a data directory, or a dump file. */
export async function sourceFromArgument(arg: string): Promise<SourceSpec> {
  if (/^postgres(ql)?:\/\//.test(arg)) return { kind: "server", url: arg };
  const s = await stat(arg).catch(() => undefined);
  if (!s) throw new UsageError(`scan: '${arg}' is neither a postgresql:// URL nor an existing dump file or data directory`);
  return s.isDirectory() ? { kind: "datadir", path: arg } : { kind: "dump", path: arg };
}

export function registerScan(program: Command, ctx: CliContext): void {
  program
    .command("scan")
    .description("scan a source for columns that look like personal data (and that a policy leaves unmasked)")
    .argument("<source>", "a pg_dump file, a stopped data directory, or a postgresql:// URL")
    .option("--policy <file>", "only report columns this masking policy does not mask")
    .option("--variant <name>", "the policy variant to check against")
    .option("--fail-on-pii", "exit 1 when anything is found (default: follow the policy's onUnmaskedPii, else 0)")
    .addHelpText("after", examples("dbclone scan shop.dump", "dbclone scan postgresql://ro@db/shop --policy dbclone.yml --json"))
    .action(async (arg: string, opts: { policy?: string; variant?: string; failOnPii?: boolean }, cmd: Command) => {
      const { home, json } = ctx.globals(cmd);
      const source = await sourceFromArgument(arg);
      const { loadPolicyFile, UnmaskedPiiError } = await import("../../../core/src/masking/index.js");
      const { scanSource } = await import("../../../core/src/build/index.js");
      const policy = opts.policy ? await loadPolicyFile(opts.policy) : undefined;
      const report = await scanSource({
        source,
        home,
        reporter: ctx.reporter,
        ...(policy ? { policy } : {}),
        ...(opts.variant ? { variant: opts.variant } : {}),
      });
      if (json) writeJson(ctx.io.stdout, report);
      else {
        ctx.print(
          `Scanned ${report.columnsScanned} columns in ${report.databases.join(", ")}${policy ? ` (${report.maskedByPolicy} masked by the policy)` : ""}`,
        );
        if (report.piiCandidates.length === 0) ctx.print("No unmasked column looks like personal data.");
        for (const c of report.piiCandidates)
          ctx.print(`  ${c.database}.${c.schema}.${c.table}.${c.column}  ${c.type}  ${c.kinds.join(", ")}  (${c.reasons.join("; ")})`);
      }
      const fail = opts.failOnPii || policy?.onUnmaskedPii === "fail";
      if (fail && report.piiCandidates.length)
        throw new UnmaskedPiiError(`${report.piiCandidates.length} unmasked column(s) look like personal data; mask them in the policy`);
    });
}
