// qemu-storage-daemon lifecycle: export a qcow2 (and its read-only backing chain) as a raw
// regular file over FUSE, and stop it again without trusting a possibly recycled pid.
import { open, readFile, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { CommandError } from "../../errors.js";
import { isAlive, isRoot, run } from "../../runtime/exec.js";
import { silentReporter, type Reporter } from "../../reporter.js";
import { isMountPoint, unmountFuse } from "./mounts.js";
import { chainBlockdevArgs } from "./chain-spec.js";
import { isWithin } from "../../util/within.js";

export const STORAGE_DAEMON = "qemu-storage-daemon";

export interface ExportHandle {
  pid: number;
  exportFile: string;
  pidFile: string;
}

/** Paths of the export file and pidfile that belong to one disk file. */
export const exportPathsFor = (diskFile: string) => ({ exportFile: `${diskFile}.export.raw`, pidFile: `${diskFile}.qsd.pid` });

/**
 * Start the daemon and return once the export is live. `--daemonize` makes the parent exit only
 * after startup (FUSE mount included) completes, so no sleep is needed; we still confirm it.
 * `parents` (nearest first): open that read-only chain explicitly instead of the header's backing path.
 */
export async function startExport(diskFile: string, reporter: Reporter = silentReporter, parents: string[] = []): Promise<ExportHandle> {
  const { exportFile, pidFile } = exportPathsFor(diskFile);
  if (await isMountPoint(exportFile)) {
    throw new CommandError(
      `${exportFile} is still a FUSE mount from an earlier export. Unmount the disk first (or run gc to release leftovers).`,
      STORAGE_DAEMON,
      null,
      "",
    );
  }
  // The FUSE mountpoint must be an existing regular file.
  await (await open(exportFile, "w", 0o600)).close();
  // discard=unmap lets fstrim / deletes inside the filesystem free clusters in the qcow2.
  const blockdevs = parents.length
    ? chainBlockdevArgs(diskFile, parents)
    : [
        "--blockdev",
        `driver=file,node-name=file0,filename=${escapeOpt(diskFile)},discard=unmap`,
        "--blockdev",
        "driver=qcow2,node-name=disk0,file=file0,discard=unmap",
      ];
  const args = [
    ...blockdevs,
    "--export",
    `type=fuse,id=exp0,node-name=disk0,mountpoint=${escapeOpt(exportFile)},writable=on`,
    "--pidfile",
    pidFile,
    "--daemonize",
  ];
  try {
    await run(STORAGE_DAEMON, args, { privileged: !isRoot(), reporter, timeoutMs: 30_000, packageHint: "qemu-system-common" });
  } catch (e) {
    await rm(exportFile, { force: true }).catch(() => {});
    throw e;
  }
  const pid = await readPidFile(pidFile);
  if (pid === undefined) throw new CommandError(`${STORAGE_DAEMON} started but wrote no pid to ${pidFile}.`, STORAGE_DAEMON, null, "");
  await waitForFuseMount(exportFile, 2000);
  return { pid, exportFile, pidFile };
}

// QEMU option values use "," as a separator; a literal comma is written ",,".
const escapeOpt = (v: string): string => v.replace(/,/g, ",,");

async function waitForFuseMount(exportFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isMountPoint(exportFile))) {
    if (Date.now() > deadline) {
      throw new CommandError(`${STORAGE_DAEMON} did not mount its FUSE export on ${exportFile} within ${timeoutMs} ms.`, STORAGE_DAEMON, null, "");
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function readPidFile(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(pidFile, "utf8")).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** argv of a live process, or undefined when it is gone or unreadable. */
export async function processArgv(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return raw.split("\0").filter((a) => a.length > 0);
  } catch {
    return undefined;
  }
}

const isStorageDaemonArgv = (argv: string[] | undefined): argv is string[] => !!argv && argv.length > 0 && /(^|\/)qemu-storage-daemon$/.test(argv[0]!);

/** The daemon's own pidfile or export file is the one expected (both resolved). */
const servesExport = (named: { pidFile?: string; exportFile?: string }, expected: { pidFile: string; exportFile: string }): boolean =>
  (!!named.pidFile && path.resolve(named.pidFile) === path.resolve(expected.pidFile)) ||
  (!!named.exportFile && path.resolve(named.exportFile) === path.resolve(expected.exportFile));

/** The pidfile and export file named on a daemon's command line. */
function daemonPaths(argv: string[]): { pidFile?: string; exportFile?: string } {
  const i = argv.indexOf("--pidfile");
  const pidFile = i >= 0 ? argv[i + 1] : undefined;
  const exp = argv.find((a) => a.includes("mountpoint="));
  const m = exp?.match(/mountpoint=((?:[^,]|,,)*)/);
  return { pidFile, exportFile: m?.[1]?.replace(/,,/g, ",") };
}

/** Live qemu-storage-daemon processes whose pidfile or export file lies under rootDir. */
export async function findDaemonsUnder(rootDir: string): Promise<Array<{ pid: number; pidFile?: string; exportFile?: string }>> {
  const found: Array<{ pid: number; pidFile?: string; exportFile?: string }> = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await processArgv(Number(entry));
    if (!isStorageDaemonArgv(argv)) continue;
    const paths = daemonPaths(argv);
    if ((paths.pidFile && isWithin(paths.pidFile, rootDir)) || (paths.exportFile && isWithin(paths.exportFile, rootDir))) {
      found.push({ pid: Number(entry), ...paths });
    }
  }
  return found;
}

/** The export file a live qemu-storage-daemon serves, or undefined (gone, or not a daemon). */
export async function daemonExportFile(pid: number): Promise<string | undefined> {
  const argv = await processArgv(pid);
  return isStorageDaemonArgv(argv) ? daemonPaths(argv).exportFile : undefined;
}

async function waitForDaemonExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

async function signal(pid: number, sig: "SIGTERM" | "SIGKILL", reporter: Reporter): Promise<void> {
  if (isRoot()) {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
    return;
  }
  await run("kill", [`-${sig.slice(3)}`, String(pid)], { privileged: true, allowFailure: true, reporter });
}

/**
 * Stop a daemon: SIGTERM (it flushes the qcow2 and unmounts its FUSE export), SIGKILL after
 * `timeoutMs`. Only signals `pid` if it still is a qemu-storage-daemon, so a recycled pid is safe.
 */
export async function stopDaemon(
  pid: number,
  reporter: Reporter = silentReporter,
  timeoutMs = 5000,
  serving?: { pidFile: string; exportFile: string },
): Promise<void> {
  const argv = await processArgv(pid);
  if (!isStorageDaemonArgv(argv)) return;
  // A pid read from a record or pidfile must be the daemon of that export, not another clone's.
  if (serving && !servesExport(daemonPaths(argv), serving)) {
    reporter.warn(`${STORAGE_DAEMON} pid ${pid} serves another export than ${serving.exportFile}; left running.`);
    return;
  }
  await signal(pid, "SIGTERM", reporter);
  if (await waitForDaemonExit(pid, timeoutMs)) return;
  reporter.warn(`${STORAGE_DAEMON} (pid ${pid}) ignored SIGTERM for ${timeoutMs} ms; killing it.`);
  await signal(pid, "SIGKILL", reporter);
  if (!(await waitForDaemonExit(pid, 2000))) {
    reporter.warn(`${STORAGE_DAEMON} (pid ${pid}) is still alive after SIGKILL (stuck in the kernel?).`);
  }
}

/** Stop the daemon, unmount a FUSE export it left dead, remove the export file and pidfile. */
export async function stopExport(handle: Partial<ExportHandle> & { exportFile: string; pidFile: string }, reporter: Reporter = silentReporter): Promise<void> {
  const pid = handle.pid ?? (await readPidFile(handle.pidFile));
  if (pid !== undefined) await stopDaemon(pid, reporter, undefined, handle);
  await unmountFuse(handle.exportFile, reporter);
  await rm(handle.exportFile, { force: true });
  await rm(handle.pidFile, { force: true });
}
