// Remove clones in the safe order: stop the server (or remove its container), unmount, delete the
// child, forget the record.
// Every step tolerates its part being gone already, so teardown is idempotent and gc can replay it.
import fs from "node:fs/promises";
import path from "node:path";
import { platformForRecord, type Platform } from "../platform/index.js";
import { CloneError, UsageError } from "../errors.js";
import type { Reporter } from "../reporter.js";
import { openRepository } from "../repository/index.js";
import type { Repository } from "../repository/types.js";
import { isAlive } from "../runtime/exec.js";
import { secondsSince } from "../util/time.js";
import type { TeardownOptions, TeardownResult } from "./lifecycle-types.js";
import { CloneRegistry, matchesLabels } from "./registry.js";
import type { CloneRecord } from "./types.js";
import { serverOf, sharedServerOf } from "./record.js";
import { currentProcess, isPostgresOf } from "../util/process-identity.js";
import { pausePoint } from "../util/pause-point.js";
import { stopStrayServers } from "./stray-servers.js";
import { foreignPathsOf } from "./clone-paths.js";

/** A clone record naming files outside the clone's own directory: nothing is done through it. */
export class ForeignRecordError extends CloneError {}

export async function teardownClones(opts: TeardownOptions): Promise<TeardownResult> {
  const started = performance.now();
  const chosen = [opts.id, opts.name, opts.labels && Object.keys(opts.labels).length ? opts.labels : undefined].filter((x) => x !== undefined);
  if (chosen.length !== 1) throw new UsageError("teardown needs exactly one of: a clone id, --name, or labels (branch/pr).");
  const registry = new CloneRegistry(opts.home);
  let records: CloneRecord[];
  if (opts.labels) records = await registry.findByLabels(opts.labels);
  else {
    const found = await registry.get((opts.id ?? opts.name)!);
    records = found ? [found] : [];
  }
  const { inScope, skipped } = splitByScope(records, opts.scope);
  for (const r of skipped) {
    opts.reporter.warn(`Left clone ${r.id}${r.name ? ` (${r.name})` : ""} alone: it was not made by ${describeLabels(opts.scope ?? {})}.`);
  }
  if (inScope.length === 0) opts.reporter.info("No such clone: nothing to tear down.");
  const removed: string[] = [];
  for (const record of inScope) {
    await removeClone(record, opts);
    removed.push(record.id);
  }
  return { removed, ...(skipped.length ? { skipped: skipped.map((r) => r.id) } : {}), seconds: secondsSince(started) };
}

/** Clones outside the caller's scope (another repository's, or unlabelled ones) are never removed. */
export function splitByScope(records: CloneRecord[], scope: Record<string, string> | undefined): { inScope: CloneRecord[]; skipped: CloneRecord[] } {
  if (!scope || Object.keys(scope).length === 0) return { inScope: records, skipped: [] };
  return { inScope: records.filter((r) => matchesLabels(r, scope)), skipped: records.filter((r) => !matchesLabels(r, scope)) };
}

function describeLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/**
 * Stop and remove the clone's container: the recorded one, and any other labelled with its id (a
 * crash between create and record leaves one unrecorded). Must precede unmounting: the container
 * holds a bind mount of the clone's filesystem.
 */
async function removeCloneContainers(record: CloneRecord, home: string): Promise<void> {
  const { DockerRuntime, listCloneContainers } = await import("../runtime/docker/index.js");
  const runtime = new DockerRuntime();
  if (record.containerId) await runtime.stop({ containerId: record.containerId }, { fast: true });
  for (const c of await listCloneContainers(runtime.docker, path.resolve(home))) {
    if (c.cloneId === record.id) await runtime.stop({ containerId: c.id }, { fast: true });
  }
}

/**
 * Stop the clone's server. A server of its own is signalled only when its recorded pid provably is
 * still this clone's (pids are reused after a crash); with none recorded and alive, a postmaster
 * proved to run on the clone's data directory is (stray-servers.ts). On a shared server (SQL
 * Server) its databases are detached and its server login dropped — the login even when a
 * database stays attached, which then keeps the disk mounted (the detach error stops teardown
 * before the unmount). A login that could not be dropped does not keep the disk: it is returned,
 * to fail the teardown once the disk is gone (the record stays, so gc retries).
 */
async function stopServer(record: CloneRecord, platform: Platform, reporter: Reporter): Promise<Error | undefined> {
  const { engine } = platform;
  if (!platform.entry.serverPerClone) {
    const server = sharedServerOf(record);
    const stopped = await engine.stop(server, { fast: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const loginLeft = await engine.dropLogin?.(server, record.user).then(
      () => undefined,
      (e: Error) =>
        new CloneError(`Teardown of clone ${record.id} could not drop its login ${record.user}: ${e.message}. Run dbclone gc to retry.`, { cause: e }),
    );
    if (stopped) throw stopped;
    if (loginLeft) reporter.warn(loginLeft.message);
    return loginLeft;
  }
  const server = serverOf(record);
  if (server && isAlive(server.pid)) {
    if (isPostgresOf(server.pid, record.mountPath)) {
      await engine.stop(server, { fast: true });
      return undefined;
    }
    reporter.warn(`Left process ${server.pid} alone: it is not clone ${record.id}'s server (its pid was reused).`);
  }
  // No live server recorded: a clone killed between spawning its server and recording it leaves
  // one running on the mount, which the unmount below would find busy.
  await stopStrayServers(record.dir, reporter);
  return undefined;
}

/** Mark a clone as being consumed by this process: from now on nobody is handed it (teardown, gc, promote). */
export async function claimClone(registry: CloneRegistry, id: string): Promise<void> {
  await registry.patch(id, { state: "stopping", owner: currentProcess() });
}

/**
 * Tear one clone down; tolerant of every part already gone. `claimed`: the caller (promote) marked
 * it stopping already with claimClone, so the registry is patched in one place per flow.
 */
export async function removeClone(
  record: CloneRecord,
  opts: { home: string; reporter: Reporter; repository?: Repository; claimed?: boolean },
  action: "teardown" | "gc" = "teardown",
): Promise<void> {
  const foreign = foreignPathsOf(record, opts.home);
  if (foreign.length)
    throw new ForeignRecordError(
      `clone ${record.id}'s record names files outside ${path.join(opts.home, "clones", record.id)} (${foreign.join(", ")}): dbclone did not write it, ` +
        `so nothing was stopped, unmounted or removed through it. Restore the record in ${path.join(opts.home, "clones", "registry.json")} or remove it from there, then run dbclone gc.`,
    );
  const registry = new CloneRegistry(opts.home);
  if (!opts.claimed) await claimClone(registry, record.id).catch(() => undefined);
  await pausePoint("teardown:stopping");
  const platform = platformForRecord(record, opts.home, opts.reporter);
  const { driver } = platform;
  const left = record.runtime === "docker" ? await removeCloneContainers(record, opts.home) : await stopServer(record, platform, opts.reporter);
  await pausePoint("teardown:server-stopped");
  if (record.attachment) await driver.unmount(record.attachment);
  await pausePoint("teardown:unmounted");
  await driver.destroy(record.childFile);
  await fs.rm(record.dir, { recursive: true, force: true });
  if (left) throw left;
  await registry.remove(record.id);
  opts.reporter.info(`Removed clone ${record.id}${record.name ? ` (${record.name})` : ""}`);
  const repository = opts.repository ?? (await openRepository(record.repository).catch(() => undefined));
  await repository?.audit
    .append({
      action,
      outcome: "success",
      image: `${record.image.name}:${record.image.version}`,
      digest: record.image.manifestDigest,
      clone: record.id,
    })
    .catch((e: Error) => opts.reporter.warn(`could not record the teardown in the audit log: ${e.message}`));
}
