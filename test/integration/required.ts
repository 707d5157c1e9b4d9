// Every integration prerequisite goes through requireOrSkip. Integration tests may skip where a
// service cannot run (a developer's laptop without dockerd or docker-registry), but CI sets
// DBCLONE_REQUIRE_ALL_TESTS=1: there a missing prerequisite is a failure, so a broken install step
// cannot turn a suite silently green (and test/require-all-reporter.ts fails any run that skipped).
import { accessSync, constants, existsSync } from "node:fs";
import path from "node:path";

export function requireOrSkip(reason: string | undefined): string | undefined {
  if (reason && process.env.DBCLONE_REQUIRE_ALL_TESTS === "1") {
    throw new Error(`required integration tests cannot run: ${reason}`);
  }
  return reason;
}

/** Why the qcow2 driver cannot run here (it needs Linux, root and /dev/fuse), or undefined. */
export function qcow2Unavailable(): string | undefined {
  if (process.platform !== "linux") return `this is ${process.platform}; the qcow2 driver needs Linux`;
  if (process.getuid?.() !== 0) return "not running as root; mounts, loop devices and FUSE need it";
  if (!existsSync("/dev/fuse")) return "/dev/fuse is missing (modprobe fuse; apt-get install fuse3)";
  const tools: [string, string][] = [
    ["qemu-img", "qemu-utils"],
    ["qemu-storage-daemon", "qemu-system-common"],
    ["mkfs.xfs", "xfsprogs"],
  ];
  const missing = tools.filter(([program]) => !onPath(program));
  if (missing.length) return `${missing.map(([p]) => p).join(", ")} not on PATH (apt-get install ${missing.map(([, pkg]) => pkg).join(" ")})`;
  return undefined;
}

/** The first executable named `name` on PATH, or undefined. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}
