// `dbclone catalog --out DIR`: write the repository's static image library (no server needed).
import type { Command } from "commander";
import { UsageError } from "../../../core/src/errors.js";
import type { CliContext } from "../context.js";
import { examples } from "../options.js";
import { writeJson } from "../output.js";

export function registerCatalog(program: Command, ctx: CliContext): void {
  program
    .command("catalog")
    .description("write a static site of the repository: images, versions, lineage, masking evidence and the verified audit trail")
    .option("--out <dir>", "folder to write the site into (created or replaced; refuses a non-empty folder that is not a catalog)")
    .option("--git <dir>", "git repository holding audit anchor tags (default: the current directory, as audit --verify)")
    .addHelpText("after", examples("dbclone catalog --out site", "dbclone --repo oci://ghcr.io/acme/images catalog --out site --json"))
    .action(async (opts: { out?: string; git?: string }, cmd: Command) => {
      if (!opts.out) throw new UsageError("catalog needs --out <dir>: the folder to write the site into");
      // Loaded on use: the site renderer is not part of CLI start-up.
      const { writeCatalog } = await import("../../../core/src/catalog/index.js");
      const repository = await ctx.openRepository(cmd);
      const result = await writeCatalog(repository, opts.out, { anchorsGitDir: opts.git });
      if (ctx.globals(cmd).json) return writeJson(ctx.io.stdout, result);
      ctx.print(
        `Catalog of ${result.versions} versions and ${result.auditEvents} audit events written to ${result.outDir}/index.html` +
          (result.auditVerified ? "" : "\nWARNING: an audit chain does not verify or contradicts its anchor; the catalog's audit page shows where it breaks"),
      );
    });
}
