// Make, find and remove clones. A clone is a differencing child disk over the image's read-only
// base, mounted, with a database server of its own over it. Every step that acquires something
// records it (in the registry and on a cleanup stack), so a failure at any step, or a crash that
// gc recovers from later, leaves nothing behind.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { makeDir, TRAVERSABLE_DIR } from "../util/paths.js";
import { clonePlatformFor, diskDriverNamed } from "../build/platform.js";
import { CloneError, DbcloneError } from "../errors.js";
import { progressOnDemand } from "../reporter.js";
import type { RunningServer } from "../engine/types.js";
import { parseImageRef } from "../image/index.js";
import { runtimeFor } from "../runtime/index.js";
import type { Runtime } from "../runtime/types.js";
import { CleanupStack } from "../util/cleanup.js";
import { secondsSince } from "../util/time.js";
import { readRepositoryConfig } from "../repository/index.js";
import type { CloneResult, CreateCloneOptions } from "./lifecycle-types.js";
import { CloneRegistry } from "./registry.js";
import { capTtl } from "./ttl.js";
import type { CloneRecord } from "./types.js";
import { diskOf, removeClone } from "./teardown.js";
import { createChildDisk } from "./child-disk.js";
import { assertDatabaseChoice, credentialsOf, pointAt } from "./credentials.js";
import { askedFor, decideNamedClone, inheritedTtl } from "./named-clone.js";
import type { PublishedImage } from "../repository/types.js";
import { pausePoint } from "../util/pause-point.js";
import { diskFullError } from "../util/disk-full.js";

export { teardownClones } from "./teardown.js";
export { collectGarbage } from "./gc.js";
export { credentialsOf } from "./credentials.js";

const DEFAULT_TIMEOUT_MS = 120_000;

export async function createClone(opts: CreateCloneOptions): Promise<CloneResult> {
  const started = performance.now();
  const { repository, reporter } = opts;
  const registry = new CloneRegistry(opts.home);
  const image = await repository.resolve(parseImageRef(opts.ref));
  // SQL Server images (Windows, VHDX) take their own path; it refuses other hosts before any work.
  if (image.manifest.engine.kind === "sqlserver") return (await import("./sqlserver-clone.js")).createSqlServerClone(opts, image, started);

  assertDatabaseChoice(opts.database, image.manifest.databases.map((d) => d.name), `${image.name}:${image.version}`);

  let previous: CloneRecord | undefined;
  let replaced: CloneResult["replaced"];
  const existing = opts.name ? await registry.findByName(opts.name) : undefined;
  if (existing) {
    const decision = await decideNamedClone(existing, image, opts);
    if (decision.kind === "reuse") return reuseResult(decision.record, image, decision.newerImage, opts, started);
    previous = decision.previous;
    replaced = { id: previous.id, reason: decision.reason };
    reporter.warn(`Replacing the clone named ${opts.name}: ${decision.reason}.`);
    await removeClone(previous, { home: opts.home, reporter, repository });
  }

  const { driver, engine, disk } = clonePlatformFor(image.manifest.engine.kind, opts.home, { disk: opts.disk, reporter });
  const runtimeKind = opts.runtime ?? "host";
  const host = opts.host ?? "127.0.0.1";
  // Loaded before anything is made: a missing Docker engine fails here, not half-way.
  const runtime: Runtime | undefined = runtimeKind === "docker" ? await runtimeFor("docker", { ...opts.docker, hostAddress: host }) : undefined;
  await runtime?.checkAvailable();
  // The longest wait of a first clone on a runner: download and digest check of the base.
  const pulling = progressOnDemand(reporter, `Pulling and verifying ${image.name}:${image.version}`, image.manifest.disk.sizeBytes, { unit: "bytes" });
  const blob = await repository.pull(image, { onProgress: pulling.onProgress });
  pulling.finish();
  // The pull verified the blob (by digest, or by an unchanged stamp of an earlier verification);
  // tell the driver, or the first clone on a runner would hash the whole base again.
  await driver.rememberVerified?.(blob, image.manifest.disk.digest);
  const config = await readRepositoryConfig(repository);
  // A replacement keeps what the workflow holds of its predecessor: login, password, port, TTL, labels.
  const ttlSeconds = capTtl(opts.ttlSeconds ?? (previous ? inheritedTtl(previous) : undefined), config.maxTtlSeconds);
  const password = previous?.password ?? crypto.randomBytes(24).toString("base64url");
  reporter.secret(password);

  const record = await registry.reserve({
    name: opts.name,
    image: { name: image.name, version: image.version, manifestDigest: image.manifestDigest, diskDigest: image.manifest.disk.digest },
    engine: image.manifest.engine.kind,
    host,
    disk,
    runtime: runtimeKind,
    password,
    databases: image.manifest.databases.map((d) => d.name),
    labels: { ...previous?.labels, ...opts.labels },
    repository: repository.location,
    expiresAt: ttlSeconds ? new Date(Date.now() + ttlSeconds * 1000).toISOString() : undefined,
    ttlSeconds,
    user: previous?.user,
  }, { preferredPort: previous?.port });
  const cleanup = new CleanupStack(reporter);
  cleanup.push("forget the clone record", () => registry.remove(record.id));
  cleanup.push("remove the clone directory", () => fs.rm(record.dir, { recursive: true, force: true }));
  await pausePoint("clone:reserved");

  try {
    // 0711: the server's OS user must traverse to the mount inside; nobody else may list it.
    await makeDir(record.dir, TRAVERSABLE_DIR);
    const child = await createChildDisk(driver, repository, image, blob, record.childFile);
    cleanup.push("delete the child disk", () => driver.destroy(child.file));
    await pausePoint("clone:child-created");
    const attachment = await driver.mount(child, record.mountPath);
    cleanup.push("unmount the child disk", () => driver.unmount(attachment));
    await registry.patch(record.id, { attachment });
    await pausePoint("clone:mounted");

    const server = await engine.start(
      record.mountPath,
      {
        port: record.port,
        host: record.host,
        runDir: path.join(record.dir, "run"),
        durability: opts.durability ?? "ephemeral",
        cloneId: record.id,
        imageDigest: image.manifestDigest,
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        runtime,
        runtimeLabels: runtime ? await containerLabels(record.id, opts.home) : undefined,
        // A bridged container listens on its own network; the published port decides who reaches it.
        listenAll: runtime !== undefined && (opts.docker?.network ?? "bridge") === "bridge",
      },
      reporter,
    );
    if (runtime) {
      cleanup.push("remove the clone's container", () => runtime.stop({ containerId: server.containerId }, { fast: true }));
      await registry.patch(record.id, { containerId: server.containerId });
    } else {
      cleanup.push("stop the clone's server", () => engine.stop(server, { fast: true }));
      await registry.patch(record.id, { serverPid: server.pid });
    }

    await pausePoint("clone:server-started");
    const login = await engine.createLogin(server, record.databases, { user: record.user, password });
    const credentials = pointAt(login, record.engine, opts.database);
    reporter.secret(credentials.connectionString);
    // Fail closed: never hand out a connection that is not this clone of this image.
    await engine.verifyIdentity(credentials, record.id, image.manifestDigest);
    // The audit entry is part of the step it records: written while the cleanup stack still
    // holds, so a log that refuses it undoes the clone instead of leaving one nobody recorded.
    await repository.audit.append({
      action: "clone",
      outcome: "success",
      image: `${image.name}:${image.version}`,
      digest: image.manifestDigest,
      clone: record.id,
      detail: opts.name ? `name=${opts.name}` : undefined,
    });
    const clone = await registry.patch(record.id, { state: "ready", owner: undefined });
    const readySeconds = secondsSince(started);
    cleanup.dismiss();
    await pausePoint("clone:ready");
    const childDiskBytes = driver.ownBytes ? await driver.ownBytes(child.file) : await allocatedBytes(child.file);
    const where = server.containerId ? ` (container ${server.containerId.slice(0, 12)})` : "";
    // The CLI and the action each print the ready line with how to connect: said once, there.
    reporter.debug(`Clone ${record.id} of ${image.name}:${image.version} ready in ${readySeconds.toFixed(3)} s on ${record.host}:${record.port}${where}`);
    return { created: true, clone, credentials, image, readySeconds, childDiskBytes, replaced };
  } catch (caught) {
    const e = (await diskFullError(caught, [record.mountPath, record.dir], `cloning ${image.name}:${image.version}`)) ?? caught;
    await cleanup.unwind();
    await repository.audit
      .append({ action: "clone", outcome: "failure", image: `${image.name}:${image.version}`, digest: image.manifestDigest, clone: record.id, detail: (e as Error).message.slice(0, 500) })
      .catch(() => undefined);
    if (e instanceof DbcloneError) throw e;
    throw new CloneError(`cloning ${image.name}:${image.version} failed: ${(e as Error).message}`, { cause: e });
  }
}

/** A live named clone comes back as it is (the caller proved it is still that clone). */
async function reuseResult(
  record: CloneRecord,
  image: PublishedImage,
  newer: PublishedImage | undefined,
  opts: CreateCloneOptions,
  started: number,
): Promise<CloneResult> {
  const where = record.labels.runner ? ` on runner ${record.labels.runner}` : "";
  if (newer) {
    opts.reporter.warn(
      `Kept clone ${record.id} (${record.name})${where} with its data: it holds ${record.image.name}:${record.image.version}, ` +
        `and ${askedFor(opts.ref, newer)}. To take the new version (losing the clone's data), use on-image-change: recreate or reset.`,
    );
  } else opts.reporter.info(`Reusing clone ${record.id} (${record.name})${where} of ${record.image.name}:${record.image.version}`);
  return {
    created: false,
    clone: record,
    credentials: credentialsOf(record, opts.database),
    image,
    readySeconds: secondsSince(started),
    childDiskBytes: await ownBytesOf(record, opts.home),
    newerImage: newer ? { name: newer.name, version: newer.version, manifestDigest: newer.manifestDigest } : undefined,
  };
}

export function serverOf(record: CloneRecord): RunningServer | undefined {
  if (!record.serverPid) return undefined;
  return { pid: record.serverPid, host: record.host, port: record.port, socketDir: path.join(record.dir, "run"), adminUser: "" };
}

async function containerLabels(cloneId: string, home: string): Promise<Record<string, string>> {
  const { cloneLabels } = await import("../runtime/docker/index.js");
  return cloneLabels(cloneId, path.resolve(home));
}

/** What a clone's disk holds of its own, measured by the driver that made it (reflink: unshared extents). */
async function ownBytesOf(record: CloneRecord, home: string): Promise<number> {
  const driver = diskDriverNamed(diskOf(record), home);
  // A reflink driver maps the clone's child path to its pool copy itself.
  return driver.ownBytes ? driver.ownBytes(record.childFile) : allocatedBytes(record.childFile);
}

async function allocatedBytes(file: string): Promise<number> {
  const st = await fs.stat(file).catch(() => undefined);
  return st ? st.blocks * 512 : 0;
}
