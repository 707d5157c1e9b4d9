// `dbclone clones`: live clones from the local registry. Passwords never appear in the table;
// --json carries them (and full connection strings) only with --show-secrets.
import type { Command } from "commander";
import type { CloneRecord } from "../../../core/src/clones/index.js";
import type { CliContext } from "../context.js";
import { examples } from "../options.js";
import { formatTable, writeJson } from "../output.js";

/** The engine's connection string of a record (loaded with core, on use). */
type ConnectionStringOf = (record: CloneRecord, opts: { withPassword: boolean }) => string;

export function cloneJson(record: CloneRecord, showSecrets: boolean, connectionStringOf: ConnectionStringOf): Record<string, unknown> {
  return {
    id: record.id,
    name: record.name ?? null,
    state: record.state,
    image: `${record.image.name}:${record.image.version}`,
    imageDigest: record.image.manifestDigest,
    host: record.host,
    port: record.port,
    user: record.user,
    databases: record.databases,
    ...(showSecrets ? { password: record.password } : {}),
    connectionString: connectionStringOf(record, { withPassword: showSecrets }),
    createdAt: record.createdAt,
    expiresAt: record.expiresAt ?? null,
    labels: record.labels,
    repository: record.repository,
  };
}

export function registerClones(program: Command, ctx: CliContext): void {
  program
    .command("clones")
    .description("list live clones on this machine")
    .option("--show-secrets", "with --json: include passwords and full connection strings")
    .addHelpText("after", examples("dbclone clones", "dbclone clones --json --show-secrets"))
    .action(async (opts: { showSecrets?: boolean }, cmd: Command) => {
      const records = await ctx.registry(cmd).list();
      if (ctx.globals(cmd).json) {
        const { connectionStringOf } = await import("../../../core/src/clones/index.js");
        return writeJson(
          ctx.io.stdout,
          records.map((r) => cloneJson(r, Boolean(opts.showSecrets), connectionStringOf)),
        );
      }
      if (records.length === 0) return ctx.reporter.info("No live clones.");
      const rows = records.map((r) => [
        r.id,
        r.name ?? "-",
        r.state,
        `${r.image.name}:${r.image.version}`,
        `${r.host}:${r.port}`,
        r.user,
        r.databases.join(",") || "-",
        r.expiresAt ?? "never",
        Object.entries(r.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(",") || "-",
      ]);
      ctx.print(formatTable(["ID", "NAME", "STATE", "IMAGE", "ADDRESS", "USER", "DATABASES", "EXPIRES", "LABELS"], rows));
    });
}
