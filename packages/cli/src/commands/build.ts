// `dbclone build <image>`: make a new image version from a dump, a data directory, a server or a base backup + WAL archive.
// The core machinery is loaded on use, so listing commands start fast and work even while it cannot load.
import type { Command } from "commander";
import type { SourceInputNames, SourceInputs } from "../../../core/src/build/index.js";
import { UsageError } from "../../../core/src/errors.js";
import { IMAGE_NAME_PATTERN, VERSION_PATTERN } from "../../../core/src/image/index.js";
import type { CliContext } from "../context.js";
import { collect, collectLabel, examples, positiveInteger } from "../options.js";
import { writeJson } from "../output.js";

export interface BuildOptions {
  fromDump?: string[];
  fromDatadir?: string;
  fromServer?: string;
  fromBasebackup?: string;
  walArchive?: string;
  recoveryTargetTime?: string;
  recoveryTargetLsn?: string;
  keepRecoveryState?: string;
  version?: string;
  tag?: string[];
  label?: Record<string, string>;
  policy?: string;
  unmasked?: string;
  variant?: string[];
  insecureRandomKey?: boolean;
  jobs?: number;
  engine?: string;
  fromBackup?: string;
  differential?: string;
  log?: string[];
  database?: string;
}

/** The CLI's spelling of each source field, for the errors of core's sourcesFromInputs. */
export const CLI_SOURCE_NAMES: SourceInputNames = {
  fromDump: "--from-dump",
  fromDatadir: "--from-datadir",
  fromServer: "--from-server",
  fromBasebackup: "--from-basebackup",
  fromBackup: "--from-backup",
  differential: "--differential",
  logs: "--log",
  database: "--database",
  engine: "--engine",
  walArchive: "--wal-archive",
  recoveryTargetTime: "--recovery-target-time",
  recoveryTargetLsn: "--recovery-target-lsn",
  keepRecoveryState: "--keep-recovery-state",
};

/** The parsed flags as core's source inputs (single-valued flags become one-item lists). */
export function sourceInputsOf(opts: BuildOptions): SourceInputs {
  const list = (v: string | undefined) => (v === undefined ? undefined : [v]);
  return {
    fromDump: opts.fromDump,
    fromDatadir: list(opts.fromDatadir),
    fromServer: list(opts.fromServer),
    fromBasebackup: list(opts.fromBasebackup),
    fromBackup: list(opts.fromBackup),
    differential: opts.differential,
    logs: opts.log,
    database: opts.database,
    engine: opts.engine,
    walArchive: opts.walArchive,
    recoveryTargetTime: opts.recoveryTargetTime,
    recoveryTargetLsn: opts.recoveryTargetLsn,
    keepRecoveryState: opts.keepRecoveryState,
  };
}

export function registerBuild(program: Command, ctx: CliContext): void {
  program
    .command("build")
    .description("build and publish a new image version")
    .argument("<image>", "image name, e.g. orders")
    .option("--from-dump <file>", "a pg_dump file (repeatable: one per database)", collect)
    .option("--from-datadir <dir>", "a stopped PostgreSQL data directory")
    .option("--from-server <url>", "a live server to copy with pg_basebackup (postgresql://…; its user needs REPLICATION)")
    .option("--from-basebackup <dir>", "a pg_basebackup output directory (plain or tar format); see docs/refresh.md")
    .option("--engine <engine>", "postgres (default) or sqlserver (Windows runner with SQL Server; see docs/windows.md)")
    .option("--from-backup <file>", "SQL Server: a full database backup (.bak)")
    .option("--differential <file>", "SQL Server: a differential backup based on --from-backup")
    .option("--log <file>", "SQL Server: a transaction log backup (repeatable; any order)", collect)
    .option("--database <name>", "SQL Server: restore under this database name (default: the backup's)")
    .option("--wal-archive <dir>", "with --from-basebackup: directory of archived WAL segments to replay")
    .option("--recovery-target-time <time>", "replay WAL up to this time, with a zone (e.g. 2026-03-01T04:00:00Z); default: the archive's end")
    .option("--recovery-target-lsn <lsn>", "replay WAL up to this WAL location (e.g. 0/3000148)")
    .option("--keep-recovery-state <dir>", "keep the replayed, unpromoted state here and continue it next build (nightly refresh)")
    .option("--version <version>", "version to publish (default: UTC timestamp)")
    .option("--tag <tag>", "movable tag to point at the new version (repeatable; default latest)", collect)
    .option("--label <key=value>", "label stored in the manifest (repeatable)", collectLabel)
    .option("--policy <file>", "masking policy: dbclone.yml (its masking: section) or a policy file; key from $DBCLONE_MASKING_KEY")
    .option("--variant <name>", "publish only this variant of the policy (repeatable; default: all its variants)", collect)
    .option("--unmasked <reason>", "without --policy: publish even though the PII scan found personal data, for this reason (recorded in the manifest)")
    .option("--jobs <n>", "masking: mapping worker threads and tables updated at once (default: the number of cores)", positiveInteger("--jobs"))
    .option("--insecure-random-key", "mask with a throw-away random key when DBCLONE_MASKING_KEY is not set (pseudonyms change every build)")
    .addHelpText(
      "after",
      examples(
        "dbclone build orders --from-dump orders.dump",
        "dbclone build orders --from-server postgresql://ro@db/orders --version 1.4.0 --tag latest --tag main",
        "dbclone build orders --from-basebackup /backups/base --wal-archive /backups/wal --recovery-target-time 2026-03-01T04:00:00Z",
        "DBCLONE_MASKING_KEY=… dbclone build orders --from-dump orders.dump --policy dbclone.yml --variant dev",
        "dbclone build sales --engine sqlserver --from-backup C:\\bak\\full.bak --differential C:\\bak\\diff.bak --log C:\\bak\\1.trn",
      ),
    )
    .action(async (name: string, opts: BuildOptions, cmd: Command) => {
      if (!IMAGE_NAME_PATTERN.test(name)) throw new UsageError(`bad image name '${name}': use lowercase letters, digits, '.', '_', '-' and '/' segments`);
      if (opts.version !== undefined && !VERSION_PATTERN.test(opts.version)) {
        throw new UsageError(`bad version '${opts.version}': use 1-128 of A-Z a-z 0-9 _ . - not starting with . or -`);
      }
      for (const t of opts.tag ?? []) if (!VERSION_PATTERN.test(t)) throw new UsageError(`bad tag '${t}': use 1-128 of A-Z a-z 0-9 _ . -`);
      const { buildImageVariants, sourcesFromInputs } = await import("../../../core/src/build/index.js");
      const sources = sourcesFromInputs(sourceInputsOf(opts), CLI_SOURCE_NAMES);
      const { home, json } = ctx.globals(cmd);
      const repository = await ctx.openRepository(cmd, { create: true });
      if (!opts.policy && (opts.variant?.length || opts.insecureRandomKey)) throw new UsageError("--variant and --insecure-random-key need --policy");
      const masking = opts.policy ? await import("../../../core/src/masking/index.js") : undefined;
      const policy = masking && opts.policy ? await masking.loadPolicyFile(opts.policy) : undefined;
      const key = masking && policy ? masking.resolveMaskingKey({ insecureRandomKey: opts.insecureRandomKey, reporter: ctx.reporter }) : undefined;
      const variants = masking && policy ? masking.variantsToBuild(Object.keys(policy.variants), opts.variant) : [undefined];
      const built: { ref: string; result: Awaited<ReturnType<typeof buildImageVariants>>[number] }[] = [];
      // Two or more variants restore the sources once and mask a child of that staging disk each.
      await buildImageVariants(
        {
          repository,
          name,
          version: opts.version,
          sources,
          home,
          reporter: ctx.reporter,
          tags: opts.tag,
          labels: opts.label,
          ...(policy && key ? { masking: { policy, key, ...(opts.jobs ? { jobs: opts.jobs } : {}) } } : {}),
          ...(opts.unmasked !== undefined ? { unmasked: { reason: opts.unmasked } } : {}),
        },
        variants,
        {
          after: (variant, result) => {
            const ref = `${name}${variant ? `+${variant}` : ""}:${result.image.version}`;
            built.push({ ref, result });
            if (!json) {
              ctx.print(`Built ${ref} (${result.image.manifestDigest}) in ${result.timings.totalSeconds.toFixed(1)} s`);
              const un = result.image.manifest.unmasked;
              if (un) ctx.print(`  UNMASKED: published with personal data (${un.reason}): ${un.piiCandidates.map((c) => `${c.table}.${c.column}`).join(", ")}`);
              if (result.masking) {
                const m = result.masking;
                const l = m.leakScan;
                ctx.print(
                  l.mode === "none"
                    ? `  masked ${m.columns} column(s), ${m.rowsChanged} rows; leak scan SKIPPED by the policy: ${l.reason}`
                    : `  masked ${m.columns} column(s), ${m.rowsChanged} rows; leak scan: ${l.valuesSearched} of ${l.valuesTotal} values searched in ${l.bytesScanned} bytes, ${l.matches - l.hits} present legitimately, ${l.hits} hits`,
                );
                for (const c of l.copies) ctx.print(`  copy ${c.verdict}: ${c.column} holds ${c.originals} value(s) of masked ${c.source}`);
                for (const c of m.piiCandidates)
                  ctx.print(`  unmasked, looks like PII: ${c.database}.${c.schema}.${c.table}.${c.column} (${c.reasons.join("; ")})`);
              }
            }
          },
        },
      );
      if (json) {
        const out = built.map(({ ref, result: { image, timings, masking: m } }) => ({
          ref,
          name: image.name,
          version: image.version,
          imageDigest: image.manifestDigest,
          tags: opts.tag ?? ["latest"],
          timings,
          ...(m
            ? { masking: { variant: m.variant, columns: m.columns, rowsChanged: m.rowsChanged, leakScan: m.leakScan, piiCandidates: m.piiCandidates } }
            : {}),
        }));
        return writeJson(ctx.io.stdout, out.length === 1 ? out[0] : out);
      }
    });
}
