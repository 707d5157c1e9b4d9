// Garbage collection: expired clones, clones whose server died (a runner crash, a SIGKILL), and
// orphans — mounts, daemons, loop devices and files under the clones directory with no record.
import fs from "node:fs/promises";
import path from "node:path";
import { platformFor } from "../build/platform.js";
import type { Reporter } from "../reporter.js";
import { isAlive } from "../runtime/exec.js";
import type { GcResult } from "./lifecycle-types.js";
import { CloneRegistry } from "./registry.js";
import { removeClone } from "./teardown.js";
import { isExpired } from "./ttl.js";
import type { CloneRecord } from "./types.js";

/** A clone still 'creating' after this long belongs to a process that died mid-way. */
const STALE_CREATING_MS = 10 * 60_000;

export async function collectGarbage(opts: { home: string; reporter: Reporter; now?: Date }): Promise<GcResult> {
  const now = opts.now ?? new Date();
  const registry = new CloneRegistry(opts.home);
  const result: GcResult = { expired: [], orphans: [], released: [] };

  for (const record of await registry.list()) {
    const reason = whyCollect(record, now);
    if (!reason) continue;
    opts.reporter.info(`gc: removing clone ${record.id} (${reason})`);
    await removeClone(record, opts, "gc");
    (reason === "expired" ? result.expired : result.orphans).push(record.id);
  }

  // Leftovers nobody records: what the disk driver made under the clones directory.
  const clonesDir = path.join(opts.home, "clones");
  const known = new Set((await registry.list()).map((r) => r.dir));
  const { driver } = platformFor("postgres", opts.home);
  for (const resource of await driver.list(clonesDir)) {
    if (resource.ownerDir && known.has(resource.ownerDir)) continue;
    await driver.release(resource);
    result.released.push(`${resource.kind} ${resource.id}`);
  }
  for (const entry of await fs.readdir(clonesDir, { withFileTypes: true }).catch(() => [])) {
    const dir = path.join(clonesDir, entry.name);
    if (!entry.isDirectory() || known.has(dir)) continue;
    await fs.rm(dir, { recursive: true, force: true });
    result.released.push(`directory ${dir}`);
  }
  return result;
}

function whyCollect(record: CloneRecord, now: Date): string | undefined {
  if (isExpired(record, now)) return "expired";
  if (record.state === "creating") {
    return now.getTime() - Date.parse(record.createdAt) > STALE_CREATING_MS ? "creation never finished" : undefined;
  }
  if (!record.serverPid || !isAlive(record.serverPid)) return "its server is gone";
  return undefined;
}
