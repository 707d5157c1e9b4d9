// Orphan recovery for the reflink pool: the clone disks, their loop devices and mounts (listed
// per clone directory, so gc releases only those whose clone has no record), and what a killed
// expansion left in the images directory (its temp file, check mount and loop device).
import { readdir, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { silentReporter, type Reporter } from "../../reporter.js";
import { isAlive } from "../../runtime/exec.js";
import type { DiskResource } from "../types.js";
import { detachLoop, readLoopDevices, readMounts, unmountPath } from "../qcow2/mounts.js";
import { readOwner } from "./expanded-index.js";
import { EXPAND_TEMP, ownerFileOf, type PoolLayout } from "./pool-layout.js";
import { isWithin } from "../../util/within.js";

/** proper-lockfile holders refresh every 5 s and are taken over after 10 s: older locks are dead. */
const STALE_LOCK_MS = 12_000;

const RELEASE_ORDER: DiskResource["kind"][] = ["mount", "loop", "file"];

/** Pool clone files (and owner records) → the clone directory they belong to. */
async function poolClones(layout: PoolLayout): Promise<Map<string, string | undefined>> {
  const owners = new Map<string, string | undefined>();
  for (const name of await readdir(layout.clonesDir).catch(() => [] as string[])) {
    const file = path.join(layout.clonesDir, name);
    if (name.endsWith(".json")) owners.set(file, (await readOwner(file))?.ownerDir);
    else if (name.endsWith(".raw")) owners.set(file, (await readOwner(ownerFileOf(file)))?.ownerDir);
  }
  return owners;
}

export async function listPoolLeftovers(layout: PoolLayout, rootDir: string): Promise<DiskResource[]> {
  const root = path.resolve(rootDir);
  const files = await poolClones(layout);
  const found: DiskResource[] = [];
  const loops = (await readLoopDevices()).filter((l) => path.dirname(l.backingFile) === layout.clonesDir);
  const ownerOf = (file: string) => files.get(file) ?? files.get(ownerFileOf(file));
  for (const m of await readMounts()) {
    const loop = loops.find((l) => l.device === m.source);
    const ownerDir = loop ? ownerOf(loop.backingFile) : undefined;
    if (loop && ownerDir && isWithin(ownerDir, root)) found.push({ kind: "mount", id: m.mountPoint, ownerDir, detail: `xfs on ${loop.backingFile}` });
  }
  for (const loop of loops) {
    const ownerDir = ownerOf(loop.backingFile);
    if (ownerDir && isWithin(ownerDir, root)) found.push({ kind: "loop", id: loop.device, ownerDir, detail: loop.backingFile });
  }
  for (const [file, ownerDir] of files) {
    if (ownerDir && isWithin(ownerDir, root)) found.push({ kind: "file", id: file, ownerDir });
  }
  return found.sort((a, b) => RELEASE_ORDER.indexOf(a.kind) - RELEASE_ORDER.indexOf(b.kind));
}

export async function releasePoolLeftover(resource: DiskResource, reporter: Reporter = silentReporter): Promise<void> {
  if (resource.kind === "mount") return unmountPath(resource.id, reporter);
  if (resource.kind === "loop") return detachLoop(resource.id, reporter);
  if (resource.kind === "file") await rm(resource.id, { force: true });
}

/** What killed expansions left: check mounts, loop devices and temp files of dead writers. */
export async function sweepDeadExpansions(layout: PoolLayout, reporter: Reporter = silentReporter): Promise<string[]> {
  const dead = (name: string): boolean => {
    // An expansion's temp image (or its check mount), or the index a killed writer was replacing.
    const m = EXPAND_TEMP.exec(name.replace(/\.mnt$/, "")) ?? /^index\.json\.tmp-(\d+)$/.exec(name);
    return m !== null && !isAlive(Number(m[1]));
  };
  const released: string[] = [];
  const checkDirs = [layout.imagesDir, layout.checkDir];
  for (const m of await readMounts()) {
    if (checkDirs.includes(path.dirname(m.mountPoint)) && dead(path.basename(m.mountPoint))) {
      await unmountPath(m.mountPoint, reporter);
      released.push(`mount ${m.mountPoint}`);
    }
  }
  for (const loop of await readLoopDevices()) {
    if (path.dirname(loop.backingFile) === layout.imagesDir && dead(path.basename(loop.backingFile))) {
      await detachLoop(loop.device, reporter);
      released.push(`loop ${loop.device}`);
    }
  }
  for (const dir of checkDirs) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!dead(name)) continue;
      const p = path.join(dir, name);
      if (name.endsWith(".mnt")) await rmdir(p).catch(() => undefined);
      else await rm(p, { force: true });
      released.push(`file ${p}`);
    }
  }
  // A pool file a killed process was still formatting (pool-file.ts: `<pool.xfs>.tmp-<pid>`).
  for (const name of await readdir(layout.home).catch(() => [] as string[])) {
    const m = /^pool\.xfs\.tmp-(\d+)$/.exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    await rm(path.join(layout.home, name), { force: true });
    released.push(`file ${path.join(layout.home, name)}`);
  }
  // Locks of dead holders (an image's, the index's, the pool's): others would take them over anyway.
  const locks = (await readdir(layout.imagesDir).catch(() => [] as string[])).filter((n) => n.endsWith(".lock")).map((n) => path.join(layout.imagesDir, n));
  for (const lock of [...locks, `${layout.poolFile}.lock`]) {
    const s = await stat(lock).catch(() => undefined);
    if (!s || Date.now() - s.mtimeMs < STALE_LOCK_MS) continue;
    await rm(lock, { recursive: true, force: true });
    released.push(`lock ${lock}`);
  }
  return released;
}
