// A private dbclone world for lifecycle tests: a temp root (home + repository + sources) that the
// postgres OS user can traverse, and a cleanup that leaves nothing behind even after a failed test.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildImage } from "../../../packages/core/src/build/index.js";
import { CloneRegistry } from "../../../packages/core/src/clones/index.js";
import { teardownClones } from "../../../packages/core/src/clones/index.js";
import { Qcow2Driver, ReflinkDriver } from "../../../packages/core/src/disk/index.js";
import { createSampleDump } from "../../../packages/core/src/engine/index.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { openRepository } from "../../../packages/core/src/repository/index.js";
import type { Repository } from "../../../packages/core/src/repository/types.js";
import { forceCleanup } from "../disk/cleanup.js";

export interface World {
  root: string;
  home: string;
  repoDir: string;
  repository: Repository;
  /** What the disk driver still has under the clones directory. */
  leftovers(): Promise<string[]>;
  /** Processes (postgres, qemu-storage-daemon) whose command line points under root. */
  processes(): number[];
  cleanup(): Promise<void>;
}

export async function makeWorld(prefix = "dbclone-it-"): Promise<World> {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(root, 0o711);
  const home = path.join(root, "home");
  const repoDir = path.join(root, "repository");
  const repository = await openRepository(repoDir, { cacheDir: path.join(home, "cache") });
  // Both clone drivers: reflink is the default, qcow2 the fallback and what some tests pin.
  const drivers = [new Qcow2Driver({ stateDir: path.join(home, "state") }), new ReflinkDriver({ home, stateDir: path.join(home, "state") })];
  const processes = () => processesUnder(root);
  return {
    root,
    home,
    repoDir,
    repository,
    processes,
    leftovers: async () => (await Promise.all(drivers.map((d) => d.list(path.join(home, "clones"))))).flat().map((r) => `${r.kind} ${r.id}`),
    async cleanup() {
      const registry = new CloneRegistry(home);
      for (const record of await registry.list().catch(() => [])) {
        await teardownClones({ home, reporter: silentReporter, id: record.id }).catch(() => undefined);
      }
      for (const pid of processes()) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      forceCleanup(root);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Our own processes only: those whose argv names a path under `root` (never by program name alone). */
export function processesUnder(root: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") continue;
      if (argv.some((a) => a.includes(root))) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

export function psql(connectionString: string, sql: string): string {
  return execFileSync("/usr/lib/postgresql/15/bin/psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", connectionString, "-c", sql], {
    encoding: "utf8",
  }).trim();
}

/**
 * The image most clone tests start from: a synthetic shop dump of `sizeMb` (deterministic for `seed`)
 * built unmasked as shop:v1 into the world's repository. Returns the dump's path.
 */
export async function buildSampleImage(world: World, sample: { sizeMb: number; seed: number }): Promise<string> {
  const dump = path.join(world.root, "shop.dump");
  await createSampleDump(dump, sample);
  await buildImage({
    unmasked: { reason: "synthetic test data" },
    repository: world.repository,
    name: "shop",
    version: "v1",
    sources: [{ kind: "dump", path: dump }],
    home: world.home,
    reporter: silentReporter,
  });
  return dump;
}
