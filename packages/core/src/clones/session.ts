// One clone, made in one visible sequence, the same for every engine and runtime the platform
// registry serves: reserve → child → mount → start → image check (first clone of a version) → login (handed out only once identity is proved) → audit → ready
// (the reserve's fsync and the audit's append overlap the steps after them: runSession). Each step
// that acquires something pushes its undo on the cleanup stack, so a failure at any step unwinds
// the ones before it; the registry is written only here (and by teardown), so gc can replay the
// undo of a clone whose process died half-way.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { ChildDisk, DiskDriver } from "../disk/types.js";
import type { CloneEngine, Credentials, RunningServer } from "../engine/types.js";
import { CloneError, DbcloneError, UsageError } from "../errors.js";
import { progressOnDemand } from "../reporter.js";
import type { Platform } from "../platform/index.js";
import { readRepositoryConfig } from "../repository/index.js";
import type { PublishedImage } from "../repository/types.js";
import { runtimeFor } from "../runtime/index.js";
import type { Runtime } from "../runtime/types.js";
import { CleanupStack } from "../util/cleanup.js";
import { diskFullError } from "../util/disk-full.js";
import { makeDir, TRAVERSABLE_DIR } from "../util/paths.js";
import { pausePoint } from "../util/pause-point.js";
import { secondsSince } from "../util/time.js";
import { StepTimer } from "../util/step-timer.js";
import { checkImageOnce } from "./checked-images.js";
import { createChildDisk } from "./child-disk.js";
import type { CloneResult, CreateCloneOptions } from "./lifecycle-types.js";
import { inheritedTtl } from "./named-clone.js";
import { CloneRegistry } from "./registry.js";
import { capTtl } from "./ttl.js";
import type { CloneRecord } from "./types.js";

const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * The reserve is durable (the 'creating' record gc removes a clone from after any crash). With a
 * server per clone, what later steps note holds only while the clone's processes live (mount, server
 * pid, ready), which a power loss ends too: atomic, no fsync. A shared server (SQL Server) outlives
 * a power loss with the clone attached: every write stays durable.
 */
const liveOnly = (s: SessionState) => ({ durable: !s.input.platform.entry.serverPerClone });

export interface SessionInput {
  opts: CreateCloneOptions;
  image: PublishedImage;
  platform: Platform;
  /** The named clone this one replaces (already removed): its login, password, port, TTL and labels carry over. */
  previous?: CloneRecord;
  replaced?: CloneResult["replaced"];
  started: number;
  /** Per-step wall times, printed with --debug. */
  steps?: StepTimer;
}

/** Everything a session holds while it runs; each step adds to it. */
interface SessionState {
  input: SessionInput;
  registry: CloneRegistry;
  cleanup: CleanupStack;
  runtime?: Runtime;
  blob: string;
  record: CloneRecord;
}

export async function runSession(input: SessionInput): Promise<CloneResult> {
  const { opts, image } = input;
  const { driver } = input.platform;
  const steps = input.steps ?? new StepTimer();
  const runtime = await loadRuntime(opts);
  const blob = await steps.step("pull", () => pullBase(opts, image, driver));
  const registry = new CloneRegistry(opts.home);
  const cleanup = new CleanupStack(opts.reporter);
  const record0 = await steps.step("reserve", () => reserve(input, registry, cleanup));
  const state: SessionState = { input, registry, cleanup, runtime, blob, record: record0 };
  const { record } = state;
  // Two waits off the critical path. The reserve's fsync (deferReserveSync) runs while the disk is
  // made and the server starts. The audit event is written while the login is made; a login that
  // fails after it is audited as a failure of the same clone below, and success waits for both.
  const reserveSynced = settledLater(deferReserveSync(input) ? registry.sync() : undefined);
  // What the login can make ahead (PostgreSQL: the password's SCRAM verifier) is made meanwhile too.
  input.platform.engine.prepareLogin?.({ password: record.password });
  let audited: Promise<void> | undefined;
  try {
    const child = await steps.step("child", () => makeChild(state));
    await steps.step("mount", () => mount(state, child));
    const server = await steps.step("start", () => start(state));
    await steps.step("image check", () => checkImageOnce(opts.home, input.platform.engine, server, image));
    await reserveSynced;
    audited = settledLater(audit(state).then(() => pausePoint("clone:audited")));
    const credentials = await steps.step("login", () => login(state, server));
    await steps.step("audit", () => audited!);
    const clone = await steps.step("ready", () => ready(state));
    const readySeconds = secondsSince(input.started);
    cleanup.dismiss();
    await pausePoint("clone:ready");
    const childDiskBytes = opts.measureChildDisk === false ? undefined : await steps.step("own bytes", () => ownBytesOf(driver, child.file));
    opts.reporter.debug(`clone steps: ${steps.summary()}`);
    const where = server.containerId ? ` (container ${server.containerId.slice(0, 12)})` : "";
    // The CLI and the action each print the ready line with how to connect: said once, there.
    opts.reporter.debug(`Clone ${record.id} of ${image.name}:${image.version} ready in ${readySeconds.toFixed(3)} s on ${record.host}:${record.port}${where}`);
    return { created: true, clone, credentials, image, readySeconds, childDiskBytes, replaced: input.replaced };
  } catch (caught) {
    // Settled first, so that a failure event follows the success event it corrects.
    await Promise.allSettled([reserveSynced, audited]);
    const e = (await diskFullError(caught, [record.mountPath, record.dir], `cloning ${image.name}:${image.version}`)) ?? caught;
    await cleanup.unwind();
    await opts.repository.audit
      .append({
        action: "clone",
        outcome: "failure",
        image: `${image.name}:${image.version}`,
        digest: image.manifestDigest,
        clone: record.id,
        detail: (e as Error).message.slice(0, 500),
      })
      .catch(() => undefined);
    if (e instanceof DbcloneError) throw e;
    throw new CloneError(`cloning ${image.name}:${image.version} failed: ${(e as Error).message}`, { cause: e });
  }
}

/** A container per clone needs a server per clone: refused (before anything is made) for engines whose clones share one. */
export function assertRuntimeServes(platform: Platform, runtime: CreateCloneOptions["runtime"]): void {
  if ((runtime ?? "host") === "docker" && !platform.entry.serverPerClone) {
    throw new UsageError(`${platform.kind} clones are attached to the runner's own server: --runtime docker is not available for them.`);
  }
}

/** Loaded before anything is made: a missing Docker engine fails here, not half-way. */
async function loadRuntime(opts: CreateCloneOptions): Promise<Runtime | undefined> {
  if ((opts.runtime ?? "host") !== "docker") return undefined;
  const runtime = await runtimeFor("docker", { ...opts.docker, hostAddress: opts.host ?? "127.0.0.1" });
  await runtime.checkAvailable();
  return runtime;
}

/** The longest wait of a first clone on a runner: download and digest check of the base. */
async function pullBase(opts: CreateCloneOptions, image: PublishedImage, driver: DiskDriver): Promise<string> {
  const pulling = progressOnDemand(opts.reporter, `Pulling and verifying ${image.name}:${image.version}`, image.manifest.disk.sizeBytes, { unit: "bytes" });
  const blob = await opts.repository.pull(image, { onProgress: pulling.onProgress });
  pulling.finish();
  // The pull verified the blob (by digest, or by an unchanged stamp of an earlier verification);
  // tell the driver, or the first clone on a runner would hash the whole base again.
  await driver.rememberVerified?.(blob, image.manifest.disk.digest);
  return blob;
}

/**
 * With a server per clone, the reserve's 'creating' record is written atomically at once (a killed
 * process leaves it for gc) and fsynced concurrently with the next steps, awaited before the login
 * exists: a power loss before that fsync also ends the clone's loop device, mount and server, and gc
 * removes an unrecorded clone's leftovers. A shared server outlives a power loss with the clone
 * attached, so its reserve is fsynced before anything is attached.
 */
const deferReserveSync = (input: SessionInput) => input.platform.entry.serverPerClone;

/** `p`, with its rejection handled until it is awaited (an unhandled rejection would end the process). */
function settledLater(p: Promise<void> | undefined): Promise<void> | undefined {
  p?.catch(() => undefined);
  return p;
}

/** reserve: id, port and a 'creating' record in one locked transaction; undo: forget it, remove its directory. */
async function reserve(input: SessionInput, registry: CloneRegistry, cleanup: CleanupStack): Promise<CloneRecord> {
  const { opts, image, previous } = input;
  const config = await readRepositoryConfig(opts.repository);
  // A replacement keeps what the workflow holds of its predecessor: login, password, port, TTL, labels.
  const ttlSeconds = capTtl(opts.ttlSeconds ?? (previous ? inheritedTtl(previous) : undefined), config.maxTtlSeconds);
  const password = previous?.password ?? crypto.randomBytes(24).toString("base64url");
  opts.reporter.secret(password);
  // An engine whose clones share one server (SQL Server) names its address and each clone's login.
  const { engine } = input.platform;
  const shared = engine.cloneEndpoint ? (id: string) => engine.cloneEndpoint!(id) : undefined;
  const reserved = await registry.reserve(
    (id) => ({
      name: opts.name,
      image: { name: image.name, version: image.version, manifestDigest: image.manifestDigest, diskDigest: image.manifest.disk.digest },
      engine: image.manifest.engine.kind,
      host: shared?.(id).host ?? opts.host ?? "127.0.0.1",
      disk: input.platform.disk,
      runtime: opts.runtime ?? "host",
      password,
      databases: image.manifest.databases.map((d) => d.name),
      labels: { ...previous?.labels, ...opts.labels },
      repository: opts.repository.location,
      expiresAt: ttlSeconds ? new Date(Date.now() + ttlSeconds * 1000).toISOString() : undefined,
      ttlSeconds,
      user: previous?.user ?? shared?.(id).user,
    }),
    { preferredPort: previous?.port, durable: !deferReserveSync(input) },
  );
  // Its clones are reached on the shared server's port, not on one reserved for them.
  const record = shared ? await registry.patch(reserved.id, { port: shared(reserved.id).port }) : reserved;
  cleanup.push("forget the clone record", () => registry.remove(record.id));
  cleanup.push("remove the clone directory", () => fs.rm(record.dir, { recursive: true, force: true }));
  await pausePoint("clone:reserved");
  return record;
}

/** child: the differencing child (or reflink copy) over the verified base; undo: delete it. */
async function makeChild(s: SessionState): Promise<ChildDisk> {
  const { driver } = s.input.platform;
  // 0711: the server's OS user must traverse to the mount inside; nobody else may list it.
  await makeDir(s.record.dir, TRAVERSABLE_DIR);
  const child = await createChildDisk(driver, s.input.opts.repository, s.input.image, s.blob, s.record.childFile);
  s.cleanup.push("delete the child disk", () => driver.destroy(child.file));
  await pausePoint("clone:child-created");
  return child;
}

/** mount: writable at the clone's mountpoint, recorded for gc; undo: unmount. */
async function mount(s: SessionState, child: ChildDisk): Promise<void> {
  const { driver } = s.input.platform;
  const attachment = await driver.mount(child, s.record.mountPath);
  s.cleanup.push("unmount the child disk", () => driver.unmount(attachment));
  s.record = await s.registry.patch(s.record.id, { attachment }, liveOnly(s));
  await pausePoint("clone:mounted");
}

/** start: the engine's server over the mount (host process or container), recorded for gc; undo: stop it. */
async function start(s: SessionState): Promise<RunningServer> {
  const { opts, image } = s.input;
  const engine: CloneEngine = s.input.platform.engine;
  const { record, runtime } = s;
  const server = await engine.start(
    record.mountPath,
    {
      port: record.port,
      host: record.host,
      runDir: path.join(record.dir, "run"),
      durability: opts.durability ?? "ephemeral",
      cloneId: record.id,
      imageDigest: image.manifestDigest,
      readyDatabase: record.databases[0],
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      runtime,
      runtimeLabels: runtime ? await containerLabels(record.id, opts.home) : undefined,
      // A bridged container listens on its own network; the published port decides who reaches it.
      listenAll: runtime !== undefined && (opts.docker?.network ?? "bridge") === "bridge",
    },
    opts.reporter,
  );
  if (runtime) {
    s.cleanup.push("remove the clone's container", () => runtime.stop({ containerId: server.containerId }, { fast: true }));
    s.record = await s.registry.patch(record.id, { containerId: server.containerId }, liveOnly(s));
  } else {
    s.cleanup.push("stop the clone's server", () => engine.stop(server, { fast: true }));
    // A shared server has no process of the clone's (pid 0); it names the databases it attached instead.
    s.record = await s.registry.patch(
      record.id,
      {
        ...(server.pid ? { serverPid: server.pid } : {}),
        ...(server.databases ? { databases: server.databases } : {}),
      },
      liveOnly(s),
    );
  }
  await pausePoint("clone:server-started");
  return server;
}

/**
 * login + verify: the clone's own login (no superuser), pointed at the database asked for, handed out
 * only once the server proved it is this clone of this image (fail closed). Where the engine can, the
 * proof needs no credential on the port (createVerifiedLogin), so a foreign server there never
 * receives the login; otherwise the login proves it afterwards (verifyIdentity).
 */
async function login(s: SessionState, server: RunningServer): Promise<Credentials> {
  const { engine } = s.input.platform;
  const { record } = s;
  const identity = { cloneId: record.id, imageDigest: s.input.image.manifestDigest };
  const wanted = { user: record.user, password: record.password };
  const redact = (c: Credentials) => s.input.opts.reporter.secret(c.connectionString);
  if (engine.createVerifiedLogin) {
    // Known before the login exists (the record names it all): redacted from the first message on.
    redact(engine.credentials({ ...wanted, host: server.host, port: server.port, databases: record.databases }, s.input.opts.database));
    const created = await engine.createVerifiedLogin(server, record.databases, wanted, identity);
    if (engine.dropLogin) s.cleanup.push("drop the clone's login", () => engine.dropLogin!(server, created.user));
    const credentials = engine.credentials(created, s.input.opts.database);
    redact(credentials);
    return credentials;
  }
  const created = await engine.createLogin(server, record.databases, wanted);
  if (engine.dropLogin) s.cleanup.push("drop the clone's login", () => engine.dropLogin!(server, created.user));
  const credentials = engine.credentials(created, s.input.opts.database);
  redact(credentials);
  await engine.verifyIdentity(credentials, identity.cloneId, identity.imageDigest);
  return credentials;
}

/**
 * audit: part of the step it records, written while the cleanup stack still holds, so a log that
 * refuses it undoes the clone instead of leaving one nobody recorded.
 */
async function audit(s: SessionState): Promise<void> {
  const { opts, image } = s.input;
  await opts.repository.audit.append({
    action: "clone",
    outcome: "success",
    image: `${image.name}:${image.version}`,
    digest: image.manifestDigest,
    clone: s.record.id,
    detail: opts.name ? `name=${opts.name}` : undefined,
  });
}

/** ready: the record is the clone's from now on (no owner: gc judges it by its server). */
function ready(s: SessionState): Promise<CloneRecord> {
  return s.registry.patch(s.record.id, { state: "ready", owner: undefined }, liveOnly(s));
}

async function containerLabels(cloneId: string, home: string): Promise<Record<string, string>> {
  const { cloneLabels } = await import("../runtime/docker/index.js");
  return cloneLabels(cloneId, path.resolve(home));
}

/** What a clone's disk holds of its own, as the driver that made it measures it (reflink: unshared extents). */
export async function ownBytesOf(driver: DiskDriver, childFile: string): Promise<number> {
  if (driver.ownBytes) return driver.ownBytes(childFile);
  const st = await fs.stat(childFile).catch(() => undefined);
  return st ? st.blocks * 512 : 0;
}
