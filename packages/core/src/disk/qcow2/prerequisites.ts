// What the qcow2 driver needs on the machine, and which Debian/Ubuntu package provides it.
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { MissingToolError, PrivilegeError } from "../../errors.js";
import { isRoot, run } from "../../runtime/exec.js";
import { onPathSync } from "../host-tools.js";

export const REQUIRED_TOOLS: ReadonlyArray<{ program: string; packageName: string }> = [
  { program: "qemu-img", packageName: "qemu-utils" },
  { program: "qemu-storage-daemon", packageName: "qemu-system-common" },
  { program: "mkfs.xfs", packageName: "xfsprogs" },
  { program: "mount", packageName: "mount" },
  { program: "umount", packageName: "mount" },
  { program: "losetup", packageName: "mount" },
  { program: "fusermount3", packageName: "fuse3" },
];

export async function checkQcow2Prerequisites(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (process.platform !== "linux") throw new MissingToolError("The qcow2 disk driver runs on Linux only (it needs FUSE and loop devices).");
  const missing = REQUIRED_TOOLS.filter((t) => !onPathSync(t.program, env));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((t) => t.packageName))];
    throw new MissingToolError(`Missing ${missing.map((t) => t.program).join(", ")} on PATH. Install: apt-get install ${packages.join(" ")}`);
  }
  try {
    if (!(await stat("/dev/fuse")).isCharacterDevice()) throw new Error("not a character device");
  } catch {
    throw new MissingToolError("/dev/fuse is missing: load the fuse module (modprobe fuse) or, in a container, pass --device /dev/fuse.");
  }
  if (!isRoot()) {
    const r = await run("sudo", ["-n", "true"], { env, allowFailure: true, packageHint: "sudo" });
    if (r.code !== 0) {
      throw new PrivilegeError(
        "The qcow2 driver mounts filesystems and FUSE exports, which needs root. Run as root or allow passwordless sudo (sudo -n true failed).",
      );
    }
  }
}

/** Why the qcow2 driver cannot run here, or undefined when it can (no process spawned). */
export function qcow2UnavailableReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform !== "linux") return `it needs Linux (this is ${process.platform})`;
  const missing = REQUIRED_TOOLS.filter((t) => !onPathSync(t.program, env));
  if (missing.length)
    return `${missing.map((t) => t.program).join(", ")} not on PATH (apt-get install ${[...new Set(missing.map((t) => t.packageName))].join(" ")})`;
  if (!existsSync("/dev/fuse")) return "/dev/fuse is missing";
  return undefined;
}
