// Reading and undoing the kernel's view of our disks: /proc/self/mountinfo, loop devices, umount.
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { run } from "../../runtime/exec.js";
import { silentReporter, type Reporter } from "../../reporter.js";

/**
 * Options of every loop mount of a clone's or staging disk: its XFS comes from an image, which
 * anyone with push rights can craft offline (a root-owned set-uid shell, a device node of the
 * host's disk). nosuid and nodev make such files inert, so code running as the server's OS user
 * cannot become root through them. nouuid: every clone of an image carries the image's XFS UUID,
 * which XFS otherwise refuses to mount twice.
 */
export const DISK_MOUNT_OPTIONS = "loop,nouuid,nosuid,nodev";

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
}

// mountinfo escapes space, tab, newline and backslash as octal (\040 …).
const unescapeMountinfo = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export async function readMounts(): Promise<MountEntry[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  const entries: MountEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    // <id> <parent> <maj:min> <root> <mountpoint> <options> [optional…] - <fstype> <source> <superopts>
    const [left, right] = line.split(" - ");
    const fields = left?.split(" ") ?? [];
    const tail = right?.split(" ") ?? [];
    if (fields.length < 5 || tail.length < 2) continue;
    entries.push({ mountPoint: unescapeMountinfo(fields[4]!), fsType: tail[0]!, source: unescapeMountinfo(tail[1]!) });
  }
  return entries;
}

export async function isMountPoint(p: string): Promise<boolean> {
  const target = path.resolve(p);
  return (await readMounts()).some((m) => m.mountPoint === target);
}

export interface LoopDevice {
  device: string;
  backingFile: string;
}

/** Loop devices and their backing files, straight from sysfs (no process spawn). */
export async function readLoopDevices(): Promise<LoopDevice[]> {
  let names: string[];
  try {
    names = (await readdir("/sys/block")).filter((n) => n.startsWith("loop"));
  } catch {
    return [];
  }
  const out: LoopDevice[] = [];
  for (const name of names) {
    try {
      const backing = (await readFile(`/sys/block/${name}/loop/backing_file`, "utf8")).trim();
      // The kernel appends " (deleted)" once the backing file is unlinked.
      out.push({ device: `/dev/${name}`, backingFile: backing.replace(/ \(deleted\)$/, "") });
    } catch {
      // Not attached: sysfs has no loop/ directory for it.
    }
  }
  return out;
}

export async function detachLoop(device: string, reporter: Reporter = silentReporter): Promise<void> {
  const r = await run("losetup", ["-d", device], { privileged: true, allowFailure: true, reporter, packageHint: "mount" });
  // Gone already (autoclear beat us) is fine; anything else is worth a warning, not a crash mid-cleanup.
  if (r.code !== 0 && !/No such device|No such device or address|not a block device/i.test(r.stderr)) {
    reporter.warn(`Could not detach ${device}: ${r.stderr.trim()}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait until no loop device is bound to `backingFile` any more: with `mount -o loop` (autoclear)
 * that is the moment the filesystem on it has really finished unmounting. Returns the devices
 * still bound after `timeoutMs` (a filesystem something still holds, lazily detached or frozen).
 */
export async function waitForLoopRelease(backingFile: string, timeoutMs = 10_000): Promise<LoopDevice[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const bound = (await readLoopDevices()).filter((l) => l.backingFile === backingFile);
    if (bound.length === 0 || Date.now() >= deadline) return bound;
    await sleep(20);
  }
}

/**
 * Unmount `mountPoint`, retrying briefly while it is busy; a lazy unmount only as the last resort
 * (it hides the mount from new lookups but the filesystem lives on until its last user goes).
 */
export async function unmountPath(mountPoint: string, reporter: Reporter = silentReporter, busyRetryMs = 2000): Promise<void> {
  const deadline = Date.now() + busyRetryMs;
  for (;;) {
    if (!(await isMountPoint(mountPoint))) return;
    const r = await run("umount", [mountPoint], { privileged: true, allowFailure: true, reporter, packageHint: "mount" });
    if (r.code === 0) return;
    if (/not mounted|no mount point/i.test(r.stderr)) return;
    if (Date.now() >= deadline) break;
    await sleep(25);
  }
  reporter.warn(`${mountPoint} stayed busy for ${busyRetryMs} ms; detaching it lazily (umount -l).`);
  await run("umount", ["-l", mountPoint], { privileged: true, reporter, packageHint: "mount" });
}

/** Unmount a FUSE export whose daemon may be dead ("Transport endpoint is not connected"). */
export async function unmountFuse(mountPoint: string, reporter: Reporter = silentReporter): Promise<void> {
  if (!(await isMountPoint(mountPoint))) return;
  const r = await run("umount", [mountPoint], { privileged: true, allowFailure: true, reporter, packageHint: "mount" });
  if (r.code === 0 || !(await isMountPoint(mountPoint))) return;
  const f = await run("fusermount3", ["-u", mountPoint], { privileged: true, allowFailure: true, reporter, packageHint: "fuse3" });
  if (f.code === 0 || !(await isMountPoint(mountPoint))) return;
  reporter.warn(`FUSE export ${mountPoint} would not unmount (${r.stderr.trim()}); detaching it lazily (umount -l).`);
  await run("umount", ["-l", mountPoint], { privileged: true, reporter, packageHint: "mount" });
}
