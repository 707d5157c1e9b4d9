// Orphan recovery: find everything the qcow2 driver made under a directory, and remove one piece.
import type { Dirent } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { DiskResource } from "../types.js";
import { silentReporter, type Reporter } from "../../reporter.js";
import { STORAGE_DAEMON, daemonExportFile, findDaemonsUnder, stopDaemon } from "./export.js";
import { detachLoop, readLoopDevices, readMounts, unmountFuse, unmountPath, waitForLoopRelease } from "./mounts.js";
import { isWithin } from "../../util/within.js";

// Releasing in this order never pulls a layer out from under one still in use:
// filesystem mounts → loop devices → daemons → dead FUSE exports → files.
const RELEASE_ORDER: DiskResource["kind"][] = ["mount", "loop", "daemon", "fuse-export", "file"];

const OUR_FILE = /\.(qcow2|qcow2\.tmp-[\w.-]+|export\.raw|qsd\.pid)$/;

/** Files we made, walking down from rootDir but never into a mounted filesystem. */
async function ourFiles(dir: string, skip: Set<string>, depth: number, out: string[]): Promise<void> {
  if (depth < 0 || skip.has(dir)) return;
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await ourFiles(p, skip, depth - 1, out);
    else if (OUR_FILE.test(e.name)) out.push(p);
  }
}

export async function listLeftovers(rootDir: string): Promise<DiskResource[]> {
  const root = path.resolve(rootDir);
  const found: DiskResource[] = [];
  const mounts = (await readMounts()).filter((m) => isWithin(m.mountPoint, root));
  for (const m of mounts) {
    const isFuse = m.fsType === "fuse" || m.fsType.startsWith("fuse.");
    found.push({ kind: isFuse ? "fuse-export" : "mount", id: m.mountPoint, ownerDir: path.dirname(m.mountPoint), detail: `${m.fsType} ${m.source}` });
  }
  for (const loop of await readLoopDevices()) {
    if (isWithin(loop.backingFile, root)) {
      found.push({ kind: "loop", id: loop.device, ownerDir: path.dirname(loop.backingFile), detail: loop.backingFile });
    }
  }
  for (const d of await findDaemonsUnder(root)) {
    const anchor = d.pidFile ?? d.exportFile;
    found.push({ kind: "daemon", id: String(d.pid), ownerDir: anchor ? path.dirname(anchor) : undefined, detail: `pidfile ${d.pidFile ?? "?"}` });
  }
  const files: string[] = [];
  // A mounted filesystem (e.g. a clone's database) is skipped: nothing of ours lives inside it.
  await ourFiles(root, new Set(mounts.filter((m) => m.mountPoint !== root).map((m) => m.mountPoint)), 6, files);
  for (const f of files) {
    // An export file under a live FUSE mount is reported as the fuse-export above.
    if (mounts.some((m) => m.mountPoint === f)) continue;
    found.push({ kind: "file", id: f, ownerDir: path.dirname(f) });
  }
  return found.sort((a, b) => RELEASE_ORDER.indexOf(a.kind) - RELEASE_ORDER.indexOf(b.kind));
}

export async function releaseLeftover(resource: DiskResource, reporter: Reporter = silentReporter): Promise<void> {
  switch (resource.kind) {
    case "mount":
      return unmountPath(resource.id, reporter);
    case "loop":
      return detachLoop(resource.id, reporter);
    case "daemon":
      return stopDaemonUnlessInUse(Number(resource.id), reporter);
    case "fuse-export":
      await unmountFuse(resource.id, reporter);
      await rm(resource.id, { force: true });
      return;
    case "file":
      await rm(resource.id, { force: true });
      return;
  }
}

/**
 * A daemon whose export still backs a loop device holds up a filesystem that has not finished
 * unmounting (lazily detached, still in use): stopping it would strand that filesystem in the
 * kernel for good, so it is kept for a later gc, once the filesystem's last user is gone.
 */
async function stopDaemonUnlessInUse(pid: number, reporter: Reporter): Promise<void> {
  const exportFile = await daemonExportFile(pid);
  const held = exportFile ? await waitForLoopRelease(exportFile, 2000) : [];
  if (held.length > 0) {
    reporter.warn(
      `${STORAGE_DAEMON} (pid ${pid}) still serves ${held.map((l) => l.device).join(", ")}, whose filesystem is still in use; kept running. Stop what uses it, then run gc again.`,
    );
    return;
  }
  await stopDaemon(pid, reporter);
}
