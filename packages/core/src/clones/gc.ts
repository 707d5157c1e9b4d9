// Garbage collection: expired clones, clones whose server died (a runner crash, a SIGKILL), clones
// and builds whose process was killed mid-way, and orphans — mounts, daemons, loop devices and
// files under the clones directory with no record (servers on an unrecorded clone's mount first).
// gc holds the registry lock for its whole run, so no clone is reserved or recorded while it
// decides what is an orphan, and it touches only what it can identify as its own: `c-*` clone
// directories and `build-*` work directories.
import fs from "node:fs/promises";
import path from "node:path";
import { allCloneDiskDrivers, platformEntry } from "../platform/index.js";
import type { Reporter } from "../reporter.js";
import { isServerRunning } from "../runtime/index.js";
import type { GcResult } from "./lifecycle-types.js";
import { sweepDeadBuilds } from "./build-sweep.js";
import { CLONE_ID_PATTERN } from "./clone-id.js";
import { CloneRegistry } from "./registry.js";
import { ownerAlive } from "../util/process-identity.js";
import { removeStaleTemps } from "../repository/durable-files.js";
import { defaultCacheDir } from "../repository/cache/cache-dir.js";
import { removeDeadPartials } from "../repository/oci/partial-files.js";
import { ForeignRecordError, removeClone } from "./teardown.js";
import { stopStrayServers } from "./stray-servers.js";
import type { Postmaster } from "../util/postmasters.js";
import { isExpired } from "./ttl.js";
import type { CloneRecord } from "./types.js";

/** A clone still 'creating' after this long belongs to a process that died mid-way. */
const STALE_CREATING_MS = 10 * 60_000;

export async function collectGarbage(opts: { home: string; reporter: Reporter; now?: Date }): Promise<GcResult> {
  const registry = new CloneRegistry(opts.home);
  return registry.withLock(() => collectLocked(registry, opts));
}

async function collectLocked(registry: CloneRegistry, opts: { home: string; reporter: Reporter; now?: Date }): Promise<GcResult> {
  const now = opts.now ?? new Date();
  const result: GcResult = { expired: [], orphans: [], released: [] };

  for (const record of await registry.list()) {
    let reason: string | undefined;
    try {
      reason = await whyCollect(record, now);
    } catch (e) {
      // A docker clone whose engine does not answer: we cannot tell; leave it for a later gc.
      opts.reporter.warn(`gc: skipping clone ${record.id}: ${(e as Error).message}`);
      continue;
    }
    if (!reason) continue;
    opts.reporter.info(`gc: removing clone ${record.id} (${reason})`);
    try {
      await removeClone(record, opts, "gc");
    } catch (e) {
      // One damaged record must not keep gc from the others.
      if (!(e instanceof ForeignRecordError)) throw e;
      opts.reporter.warn(`gc: skipping clone ${record.id}: ${e.message}`);
      continue;
    }
    (reason === "expired" ? result.expired : result.orphans).push(record.id);
  }

  // Containers whose clone record is gone; before the disk leftovers, whose mounts they hold.
  const records = await registry.list();
  for (const id of await removeOrphanContainers(opts.home, new Set(records.map((r) => r.id)), opts.reporter)) {
    result.released.push(`container ${id}`);
  }

  // Leftovers nobody records: what the disk driver made under the clones directory.
  const clonesDir = path.join(opts.home, "clones");
  const known = new Set(records.map((r) => r.dir));
  // Servers over an unrecorded clone's mount hold it busy: stopped before the mounts are released.
  const recordedOrNotOurs = (pm: Postmaster) => {
    const owner = path.join(clonesDir, path.relative(clonesDir, pm.dataDir).split(path.sep)[0]!);
    return known.has(owner) || !isCloneDir(clonesDir, owner);
  };
  result.released.push(...(await stopStrayServers(clonesDir, opts.reporter, recordedOrNotOurs)));
  // Every clone driver of the engines this host serves: qcow2 exports and loops, reflink pool copies, VHDX children.
  for (const driver of allCloneDiskDrivers(opts.home, opts.reporter)) {
    for (const resource of await driver.list(clonesDir)) {
      if (!resource.ownerDir || known.has(resource.ownerDir) || !isCloneDir(clonesDir, resource.ownerDir)) continue;
      await driver.release(resource);
      result.released.push(`${resource.kind} ${resource.id}`);
    }
    // What a killed process left in the driver's own storage (a reflink expansion's temp file).
    result.released.push(...((await driver.sweep?.()) ?? []));
  }
  for (const entry of await fs.readdir(clonesDir, { withFileTypes: true }).catch(() => [])) {
    const dir = path.join(clonesDir, entry.name);
    // Only clone directories: registry.json, its lock and anything else there are not ours to judge.
    if (!entry.isDirectory() || known.has(dir) || !CLONE_ID_PATTERN.test(entry.name)) continue;
    await fs.rm(dir, { recursive: true, force: true });
    result.released.push(`directory ${dir}`);
  }
  result.released.push(...(await sweepDeadBuilds(opts.home, opts.reporter)));
  // Blobs a killed pull was writing into the local cache (their writer's pid is in the name).
  let cacheTemps = 0;
  for (const cacheDir of new Set([path.join(opts.home, "cache"), defaultCacheDir()])) {
    cacheTemps += await removeStaleTemps(path.join(cacheDir, "blobs", "sha256"), 60 * 60_000);
    cacheTemps += await removeDeadPartials(path.join(cacheDir, "partial"));
  }
  if (cacheTemps > 0) result.released.push(`${cacheTemps} partial cache blob(s)`);
  return result;
}

/** A directory gc may release things for: <clonesDir>/c-<id>. */
function isCloneDir(clonesDir: string, dir: string): boolean {
  return path.dirname(dir) === clonesDir && CLONE_ID_PATTERN.test(path.basename(dir));
}

async function whyCollect(record: CloneRecord, now: Date): Promise<string | undefined> {
  if (isExpired(record, now)) return "expired";
  if (record.state === "creating" || record.state === "stopping") {
    const what = record.state === "creating" ? "creation" : "teardown";
    if (record.owner) return ownerAlive(record.owner) ? undefined : `${what} never finished: its process ${record.owner.pid} is gone`;
    return now.getTime() - Date.parse(record.createdAt) > STALE_CREATING_MS ? `${what} never finished` : undefined;
  }
  // A clone attached to a shared server (SQL Server's service), not a process of ours: only its TTL ends it.
  if (!platformEntry(record.engine).serverPerClone) return undefined;
  if (!(await isServerRunning(record))) return record.runtime === "docker" ? "its container is gone or stopped" : "its server is gone";
  return undefined;
}

/** Remove this home's containers whose clone has no record; nothing to do when no engine is configured. */
async function removeOrphanContainers(home: string, liveIds: Set<string>, reporter: Reporter): Promise<string[]> {
  const docker = await import("../runtime/docker/index.js");
  if (!docker.dockerConfigured()) return [];
  const client = docker.dockerClient();
  try {
    await docker.assertDockerReachable(client, 2000);
  } catch (e) {
    reporter.debug(`gc: no Docker engine to look for containers in: ${(e as Error).message}`);
    return [];
  }
  const removed = await docker.removeOrphanContainers(client, path.resolve(home), liveIds);
  for (const c of removed) reporter.info(`gc: removed container ${c.name || c.id.slice(0, 12)} of clone ${c.cloneId}, which has no record`);
  return removed.map((c) => c.name || c.id.slice(0, 12));
}
