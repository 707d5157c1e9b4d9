// createClone / removeClone for SQL Server images (Windows): the registry, audit and credentials are
// those of the Linux path; the clone itself is engine/sqlserver/clone.ts (child VHDX, FOR ATTACH under
// <db>__<id>, a login of its own) on the server named by DBCLONE_SQLSERVER. Non-Windows hosts are
// refused before anything is pulled, reserved or created.
import fs from "node:fs/promises";
import path from "node:path";
import { assertHostFor, diskDriverNamed } from "../platform/index.js";
import { CloneError, DbcloneError, UsageError } from "../errors.js";
import { cloneDatabaseName, cloneSqlServer, randomPassword, teardownSqlServer, type SqlServerCloneRecord } from "../engine/sqlserver/clone.js";
import { sqlServerHost, sqlServerPort, windowsCaller } from "../engine/sqlserver/host.js";
import type { Reporter } from "../reporter.js";
import type { PublishedImage } from "../repository/types.js";
import { readRepositoryConfig } from "../repository/index.js";
import { CleanupStack } from "../util/cleanup.js";
import { secondsSince } from "../util/time.js";
import type { CloneResult, CreateCloneOptions } from "./lifecycle-types.js";
import { CloneRegistry } from "./registry.js";
import { capTtl } from "./ttl.js";
import { credentialsOf } from "./record.js";
import type { CloneRecord } from "./types.js";


/**
 * What engine/sqlserver teardown needs, rebuilt from the registry record. A record that never became
 * ready still lists the image's names: only their per-clone names (<db>__<id>) are ever detached.
 */
const engineRecord = (r: CloneRecord): SqlServerCloneRecord => ({
  cloneId: r.id,
  childFile: r.childFile,
  ...(r.attachment ? { attachment: r.attachment } : {}),
  databases: Object.fromEntries(r.databases.map((d) => (d.endsWith(`__${r.id}`) ? d : cloneDatabaseName(d, r.id))).map((d) => [d, d])),
  login: `dbclone_${r.id}`,
});

export async function createSqlServerClone(opts: CreateCloneOptions, image: PublishedImage, started: number): Promise<CloneResult> {
  assertHostFor("sqlserver");
  const host = sqlServerHost();
  if ((opts.runtime ?? "host") !== "host") throw new UsageError("SQL Server clones are attached to the runner's SQL Server: --runtime docker is not available for them.");
  const { repository, reporter } = opts;
  const registry = new CloneRegistry(opts.home);
  if (opts.name) {
    const existing = await registry.findByName(opts.name);
    if (existing && !opts.reset && existing.state === "ready" && existing.image.manifestDigest === image.manifestDigest) {
      return { created: false, clone: existing, credentials: credentialsOf(existing), image, readySeconds: secondsSince(started), childDiskBytes: 0 };
    }
    if (existing) await removeSqlServerClone(existing, reporter);
    if (existing) await registry.remove(existing.id);
  }
  const connection = host.connection;
  const blob = await repository.pull(image);
  const config = await readRepositoryConfig(repository);
  const ttlSeconds = capTtl(opts.ttlSeconds, config.maxTtlSeconds);
  const password = randomPassword();
  reporter.secret(password);
  const reserved = await registry.reserve({
    name: opts.name,
    image: { name: image.name, version: image.version, manifestDigest: image.manifestDigest, diskDigest: image.manifest.disk.digest },
    engine: "sqlserver",
    disk: "vhdx",
    host: connection.server,
    runtime: "host",
    password,
    databases: image.manifest.databases.map((d) => d.name),
    labels: opts.labels ?? {},
    repository: repository.location,
    expiresAt: ttlSeconds ? new Date(Date.now() + ttlSeconds * 1000).toISOString() : undefined,
  });
  const record = await registry.patch(reserved.id, { port: sqlServerPort(connection), user: `dbclone_${reserved.id}` });
  const cleanup = new CleanupStack(reporter);
  cleanup.push("forget the clone record", () => registry.remove(record.id));
  cleanup.push("remove the clone directory", () => fs.rm(record.dir, { recursive: true, force: true }));
  const exec = await host.connect("query");
  try {
    await fs.mkdir(record.dir, { recursive: true });
    const disk = diskDriverNamed("vhdx", opts.home, reporter);
    const made = await cloneSqlServer(
      { exec, disk, runner: host.runner(reporter), reporter, readLayout: host.readLayout },
      { cloneId: record.id, baseFile: blob, baseDigest: image.manifest.disk.digest, cloneDir: record.dir, password, windowsCaller: windowsCaller(connection) },
    );
    const clone = await registry.patch(record.id, {
      state: "ready",
      childFile: made.childFile,
      ...(made.attachment ? { attachment: made.attachment, mountPath: made.attachment.mountPath } : {}),
      databases: Object.values(made.databases),
      user: made.login ?? record.user,
    });
    cleanup.dismiss();
    const credentials = credentialsOf(clone);
    reporter.secret(credentials.connectionString);
    await repository.audit.append({ action: "clone", outcome: "success", image: `${image.name}:${image.version}`, digest: image.manifestDigest, clone: record.id, detail: opts.name ? `name=${opts.name}` : undefined });
    const readySeconds = secondsSince(started);
    // The CLI and the action each print the ready line with how to connect: said once, there.
    reporter.debug(`Clone ${record.id} of ${image.name}:${image.version} ready in ${readySeconds.toFixed(3)} s on ${clone.host}:${clone.port} (${clone.databases.join(", ")})`);
    return { created: true, clone, credentials, image, readySeconds, childDiskBytes: 0 };
  } catch (e) {
    await cleanup.unwind();
    await repository.audit
      .append({ action: "clone", outcome: "failure", image: `${image.name}:${image.version}`, digest: image.manifestDigest, clone: record.id, detail: (e as Error).message.slice(0, 500) })
      .catch(() => undefined);
    if (e instanceof DbcloneError) throw e;
    throw new CloneError(`cloning ${image.name}:${image.version} failed: ${(e as Error).message}`, { cause: e });
  } finally {
    await exec.close().catch(() => undefined);
  }
}

/** Detach the databases, drop the login, unmount and delete the child; the registry entry is the caller's. */
export async function removeSqlServerClone(record: CloneRecord, reporter: Reporter): Promise<void> {
  assertHostFor("sqlserver");
  const host = sqlServerHost();
  const exec = await host.connect("query");
  try {
    await teardownSqlServer({ exec, disk: host.disk(path.join(path.dirname(path.dirname(record.dir)), "state"), reporter), reporter }, engineRecord(record));
  } finally {
    await exec.close().catch(() => undefined);
  }
  await fs.rm(record.dir, { recursive: true, force: true });
}
