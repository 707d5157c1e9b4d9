// `dbclone build <image>`: make a new image version from a dump, a data directory or a server.
// The core machinery is loaded on use, so listing commands start fast and work even while it cannot load.
import type { Command } from "commander";
import type { SourceSpec } from "../../../core/src/engine/types.js";
import { UsageError } from "../../../core/src/errors.js";
import { IMAGE_NAME_PATTERN, VERSION_PATTERN } from "../../../core/src/image/manifest.js";
import type { CliContext } from "../context.js";
import { collect, collectLabel, examples } from "../options.js";
import { writeJson } from "../output.js";

interface BuildOptions {
  fromDump?: string[];
  fromDatadir?: string;
  fromServer?: string;
  version?: string;
  tag?: string[];
  label?: Record<string, string>;
}

/** Exactly one kind of source; dumps may repeat (one per database). */
export function sourcesFrom(opts: BuildOptions): SourceSpec[] {
  const kinds = [opts.fromDump?.length ? "--from-dump" : "", opts.fromDatadir ? "--from-datadir" : "", opts.fromServer ? "--from-server" : ""].filter(Boolean);
  if (kinds.length !== 1) {
    throw new UsageError(
      kinds.length === 0
        ? "build needs a source: --from-dump FILE (repeatable), --from-datadir DIR or --from-server URL"
        : `build takes one kind of source, got ${kinds.join(" and ")}`,
    );
  }
  if (opts.fromDump?.length) return opts.fromDump.map((path) => ({ kind: "dump", path }));
  if (opts.fromDatadir) return [{ kind: "datadir", path: opts.fromDatadir }];
  return [{ kind: "server", url: opts.fromServer! }];
}

export function registerBuild(program: Command, ctx: CliContext): void {
  program
    .command("build")
    .description("build and publish a new image version")
    .argument("<image>", "image name, e.g. orders")
    .option("--from-dump <file>", "a pg_dump file (repeatable: one per database)", collect)
    .option("--from-datadir <dir>", "a stopped PostgreSQL data directory")
    .option("--from-server <url>", "a live server to dump (postgresql://…)")
    .option("--version <version>", "version to publish (default: UTC timestamp)")
    .option("--tag <tag>", "movable tag to point at the new version (repeatable; default latest)", collect)
    .option("--label <key=value>", "label stored in the manifest (repeatable)", collectLabel)
    .addHelpText(
      "after",
      examples("dbclone build orders --from-dump orders.dump", "dbclone build orders --from-server postgresql://ro@db/orders --version 1.4.0 --tag latest --tag main"),
    )
    .action(async (name: string, opts: BuildOptions, cmd: Command) => {
      if (!IMAGE_NAME_PATTERN.test(name)) throw new UsageError(`bad image name '${name}': use lowercase letters, digits, '.', '_', '-' and '/' segments`);
      if (opts.version !== undefined && !VERSION_PATTERN.test(opts.version)) {
        throw new UsageError(`bad version '${opts.version}': use 1-128 of A-Z a-z 0-9 _ . - not starting with . or -`);
      }
      for (const t of opts.tag ?? []) if (!VERSION_PATTERN.test(t)) throw new UsageError(`bad tag '${t}': use 1-128 of A-Z a-z 0-9 _ . -`);
      const sources = sourcesFrom(opts);
      const { home, json } = ctx.globals(cmd);
      const repository = await ctx.openRepository(cmd);
      const { buildImage } = await import("../../../core/src/build/index.js");
      const result = await buildImage({
        repository,
        name,
        version: opts.version,
        sources,
        home,
        reporter: ctx.reporter,
        tags: opts.tag,
        labels: opts.label,
      });
      const { image, timings } = result;
      if (json) return writeJson(ctx.io.stdout, { name: image.name, version: image.version, digest: image.manifestDigest, tags: opts.tag ?? ["latest"], timings });
      ctx.print(`Built ${image.name}:${image.version} (${image.manifestDigest}) in ${timings.totalSeconds.toFixed(1)} s`);
    });
}
