// `dbclone clone <ref>`: a writable clone of an image, ready to connect to.
// The core machinery is loaded on use, so listing commands start fast and work even while it cannot load.
import type { Command } from "commander";
import { ON_IMAGE_CHANGE, type CloneResult, type OnImageChange } from "../../../core/src/clones/index.js";
import { DEFAULT_TTL, parseDuration, parseTtl } from "../../../core/src/util/index.js";
import type { Durability } from "../../../core/src/engine/index.js";
import type { DockerRuntimeOptions } from "../../../core/src/runtime/index.js";
import { UsageError } from "../../../core/src/errors.js";
import { parseImageRef } from "../../../core/src/image/index.js";
import type { CliContext } from "../context.js";
import { collectLabel, examples } from "../options.js";
import { writeJson } from "../output.js";

interface CloneOptions {
  name?: string;
  ttl?: string;
  label?: Record<string, string>;
  durability: string;
  reset?: boolean;
  onImageChange: string;
  database?: string;
  timeout?: string;
  runtime: string;
  disk?: string;
  dockerImage?: string;
  memory?: string;
  cpus?: string;
  dockerNetwork?: string;
}

/** The --json contract of `dbclone clone` (scripts read these fields; keep them stable). */
export function cloneResultJson(result: CloneResult): Record<string, unknown> {
  const { clone, credentials } = result;
  return {
    id: clone.id,
    name: clone.name ?? null,
    created: result.created,
    host: credentials.host,
    port: credentials.port,
    databases: credentials.databases,
    user: credentials.user,
    password: credentials.password,
    connectionString: credentials.connectionString,
    // What the clone holds: a kept --name clone may hold an older version than the one asked for.
    imageDigest: clone.image.manifestDigest,
    image: `${clone.image.name}:${clone.image.version}`,
    readySeconds: result.readySeconds,
    expiresAt: clone.expiresAt ?? null,
    imageChanged: result.newerImage !== undefined,
    newerVersion: result.newerImage?.version ?? null,
  };
}

/** The --runtime docker options, checked; a docker-only flag with --runtime host is a usage error. */
function dockerOptions(opts: CloneOptions): DockerRuntimeOptions | undefined {
  const given = [opts.dockerImage && "--docker-image", opts.memory && "--memory", opts.cpus && "--cpus", opts.dockerNetwork && "--docker-network"].filter(
    Boolean,
  );
  if (opts.runtime !== "docker") {
    if (given.length) throw new UsageError(`${given.join(", ")} ${given.length > 1 ? "apply" : "applies"} only with --runtime docker`);
    return undefined;
  }
  if (opts.dockerNetwork !== undefined && opts.dockerNetwork !== "bridge" && opts.dockerNetwork !== "host") {
    throw new UsageError(`--docker-network must be bridge or host, got '${opts.dockerNetwork}'`);
  }
  const cpus = opts.cpus !== undefined ? Number(opts.cpus) : undefined;
  if (cpus !== undefined && !(cpus > 0)) throw new UsageError(`--cpus must be a positive number, got '${opts.cpus}'`);
  if (opts.memory !== undefined && !/^\d+(\.\d+)?\s*[kmgt]?i?b?$/i.test(opts.memory)) {
    throw new UsageError(`--memory must be a size such as 512m or 2g, got '${opts.memory}'`);
  }
  return { image: opts.dockerImage, memory: opts.memory, cpus, network: opts.dockerNetwork as "bridge" | "host" | undefined };
}

export function registerClone(program: Command, ctx: CliContext): void {
  program
    .command("clone")
    .description("make a writable clone of an image and print how to connect (--json includes the password)")
    .argument("<ref>", "name, name:version, name:tag or name@sha256:<hex>")
    .option("--name <name>", "reuse key: asking again for this name returns the same live clone")
    .option("--ttl <duration>", "lifetime, e.g. 30m, 1h30m, 1d, or none to keep it until torn down (capped by the repository's maxTtl)", DEFAULT_TTL)
    .option("--label <key=value>", "label for teardown --label (repeatable)", collectLabel)
    .option("--durability <mode>", "ephemeral (fast, no fsync) or durable", "ephemeral")
    .option("--reset", "discard a live clone of this --name and make it fresh from the image (same port, user, password)")
    .option("--on-image-change <mode>", "a live --name clone of an older version: keep (its data), recreate or fail", "keep")
    .option("--database <name>", "the database the connection string points at (default the image's first)")
    .option("--timeout <duration>", "give up when not ready within this time: seconds (1.5) or a duration (2m); default 120")
    .option("--runtime <runtime>", "where the clone's server runs: host (a host process, fastest) or docker (a container)", "host")
    .option(
      "--disk <driver>",
      "clone disk driver: qcow2 (FUSE over the image) or reflink (a copy-on-write copy in a local pool); default reflink where its pool works, else qcow2; DBCLONE_DISK sets the preference",
    )
    .option("--docker-image <image>", "container image for --runtime docker (default postgres:<major> of the image's server)")
    .option("--memory <size>", "memory limit of the container, e.g. 512m, 2g (--runtime docker)")
    .option("--cpus <n>", "CPU limit of the container, e.g. 1.5 (--runtime docker)")
    .option("--docker-network <mode>", "bridge (default: own network, port published on the clone's host) or host (--runtime docker)")
    .addHelpText(
      "after",
      examples(
        "dbclone clone orders:latest",
        "dbclone clone orders:latest --name pr-42 --ttl 2h --label pr=42 --json",
        "dbclone clone orders --name dev --reset",
        "dbclone clone orders:latest --runtime docker --docker-image postgres:15 --memory 1g --cpus 1",
      ),
    )
    .action(async (ref: string, opts: CloneOptions, cmd: Command) => {
      parseImageRef(ref); // refuse a bad reference before touching anything
      if (opts.durability !== "ephemeral" && opts.durability !== "durable") {
        throw new UsageError(`--durability must be ephemeral or durable, got '${opts.durability}'`);
      }
      if (opts.runtime !== "host" && opts.runtime !== "docker") {
        throw new UsageError(`--runtime must be host or docker, got '${opts.runtime}'`);
      }
      if (opts.disk !== undefined && opts.disk !== "qcow2" && opts.disk !== "reflink") {
        throw new UsageError(`--disk must be qcow2 or reflink, got '${opts.disk}'`);
      }
      if (!(ON_IMAGE_CHANGE as readonly string[]).includes(opts.onImageChange)) {
        throw new UsageError(`--on-image-change must be one of ${ON_IMAGE_CHANGE.join(", ")}, got '${opts.onImageChange}'`);
      }
      const docker = dockerOptions(opts);
      const ttlSeconds = parseTtl(opts.ttl ?? DEFAULT_TTL, "--ttl");
      const timeoutMs = opts.timeout !== undefined ? Math.round(parseDuration(opts.timeout, "--timeout") * 1000) : undefined;
      const { home, json } = ctx.globals(cmd);
      const repository = await ctx.openRepository(cmd);
      const { createClone, connectionStringOf } = await import("../../../core/src/clones/index.js");
      const result = await createClone({
        repository,
        ref,
        home,
        reporter: ctx.reporter,
        name: opts.name,
        ttlSeconds,
        labels: opts.label,
        durability: opts.durability as Durability,
        timeoutMs,
        reset: opts.reset,
        onImageChange: opts.onImageChange as OnImageChange,
        database: opts.database,
        runtime: opts.runtime,
        disk: opts.disk as "qcow2" | "reflink" | undefined,
        docker,
        measureChildDisk: false, // neither output shows it
      });
      ctx.reporter.secret(result.credentials.password);
      if (json) return writeJson(ctx.io.stdout, cloneResultJson(result));
      const c = result.credentials;
      ctx.print(
        [
          `Clone ${result.clone.id}${result.clone.name ? ` (${result.clone.name})` : ""} of ${result.clone.image.name}:${result.clone.image.version} ${result.created ? "ready" : "reused"} in ${result.readySeconds.toFixed(3)} s`,
          `  host ${c.host}  port ${c.port}  user ${c.user}  databases ${c.databases.join(", ")}`,
          // The engine's own form (postgresql://…, or Server=…;Database=… for SQL Server); the password stays hidden.
          `  ${connectionStringOf(result.clone, { withPassword: false })}`,
          `  password: run with --json, or dbclone clones --json --show-secrets`,
          result.clone.expiresAt ? `  expires ${result.clone.expiresAt}` : "",
        ]
          .filter(Boolean)
          .join("\n"),
      );
    });
}
