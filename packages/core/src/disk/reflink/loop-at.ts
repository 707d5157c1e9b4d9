// Which loop device a fresh `mount -o loop` of a clone file used: the mount table names the device
// mounted at the clone's mountpoint, and its sysfs entry must name the clone file as its backing
// file. Two reads, instead of reading every loop device's backing file (50+ on a busy runner).
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { readLoopDevices } from "../qcow2/mounts.js";

/** The loop device mounted at `mountPath` and backed by `file`; the full scan when the mount table does not say. */
export async function loopDeviceAt(mountPath: string, file: string): Promise<string | undefined> {
  const where = new Set([mountPath, await realpath(mountPath).catch(() => mountPath)]);
  const table = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  for (const line of table.split("\n")) {
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    const source = fields[dash + 2];
    if (dash < 0 || !where.has(unescapeMountPath(fields[4] ?? "")) || !source?.startsWith("/dev/loop")) continue;
    const backing = await readFile(`/sys/block/${path.basename(source)}/loop/backing_file`, "utf8").catch(() => "");
    if (backing.trim().replace(/ \(deleted\)$/, "") === file) return source;
  }
  return (await readLoopDevices()).find((l) => l.backingFile === file)?.device;
}

/** mountinfo writes space, tab, newline and backslash as \\ooo octal escapes. */
const unescapeMountPath = (p: string): string => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
