// gc's sweep of killed builds: a work dir whose owning process is gone loses, in this order, its
// database servers, its unmasked staging mount, the fresh disk, daemons, loops and files.
import { readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { BUILD_DIR_PATTERN, readBuildRecord } from "../util/build-record.js";
import { hostBuildDrivers } from "../platform/index.js";
import type { DiskResource } from "../disk/index.js";
import { stopPostgres } from "../engine/postgres/launch.js";
import type { Reporter } from "../reporter.js";
import { postmastersUnder } from "../util/postmasters.js";
import { ownerAlive } from "../util/process-identity.js";

/** A work dir with no record is left alone this long: its build may be about to write one. */
const UNRECORDED_GRACE_MS = 60_000;

export async function sweepDeadBuilds(home: string, reporter: Reporter): Promise<string[]> {
  const workRoot = path.join(home, "work");
  const released: string[] = [];
  for (const entry of await readdir(workRoot, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || !BUILD_DIR_PATTERN.test(entry.name)) continue;
    const dir = path.join(workRoot, entry.name);
    const record = await readBuildRecord(dir);
    if (record ? ownerAlive(record.owner) : await isRecent(dir)) continue;
    reporter.info(`gc: sweeping build work dir ${dir} (${record ? `its process ${record.owner.pid} is gone` : "no build record"})`);
    released.push(...(await sweepBuildDir(home, dir)));
  }
  return released;
}

async function sweepBuildDir(home: string, dir: string): Promise<string[]> {
  const released: string[] = [];
  // Servers first: they hold the filesystems open. Found by their data directory under `dir`.
  for (const server of await postgresUnder(dir)) {
    await stopPostgres(server.pid, { fast: true });
    released.push(`server ${server.pid}`);
    if (server.socketDir) {
      await rm(server.socketDir, { recursive: true, force: true });
      released.push(`directory ${server.socketDir}`);
    }
  }
  for (const driver of hostBuildDrivers(home)) {
    const resources = (await driver.list(dir)).sort(unmaskedFirst(dir));
    for (const resource of resources) {
      await driver.release(resource);
      released.push(`${resource.kind} ${resource.id}`);
    }
  }
  await rm(dir, { recursive: true, force: true });
  released.push(`directory ${dir}`);
  return released;
}

// The staging disk holds the unmasked restore: within each kind of resource it goes first.
function unmaskedFirst(dir: string): (a: DiskResource, b: DiskResource) => number {
  const staging = path.join(dir, "staging");
  const rank = (r: DiskResource) => (r.id.startsWith(staging) || (r.detail ?? "").includes(staging) ? 0 : 1);
  const kinds: DiskResource["kind"][] = ["mount", "loop", "daemon", "fuse-export", "file"];
  return (a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || rank(a) - rank(b);
}

/** Proved postmasters (util/postmasters.ts) over `dir`, with their private socket directory when it is ours. */
async function postgresUnder(dir: string): Promise<Array<{ pid: number; socketDir?: string }>> {
  return (await postmastersUnder(dir)).map(({ pid, args }) => {
    const socketSetting = args.find((a) => a.startsWith("unix_socket_directories="));
    const socketDir = socketSetting?.slice("unix_socket_directories=".length);
    // Only a build server's own temp socket dir (dbclone-pg-*) is ours to remove.
    const ours = socketDir && path.dirname(socketDir) === os.tmpdir() && path.basename(socketDir).startsWith("dbclone-pg-");
    return { pid, socketDir: ours ? socketDir : undefined };
  });
}

async function isRecent(dir: string): Promise<boolean> {
  const st = await stat(dir).catch(() => undefined);
  return !!st && Date.now() - st.mtimeMs < UNRECORDED_GRACE_MS;
}
