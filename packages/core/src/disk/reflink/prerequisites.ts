// What the reflink driver needs: qemu-img (to expand qcow2 blobs), XFS tools (the pool file and
// the images are XFS), loop devices and root. A synchronous answer feeds the driver choice; the
// asynchronous check throws the error naming what to install.
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { MissingToolError, PrivilegeError } from "../../errors.js";
import { isRoot, run } from "../../runtime/exec.js";
import { onPathSync } from "../host-tools.js";

const TOOLS: ReadonlyArray<{ program: string; packageName: string }> = [
  { program: "qemu-img", packageName: "qemu-utils" },
  { program: "mkfs.xfs", packageName: "xfsprogs" },
  { program: "xfs_growfs", packageName: "xfsprogs" },
  { program: "mount", packageName: "mount" },
  { program: "umount", packageName: "mount" },
  { program: "losetup", packageName: "mount" },
];

/** Why the reflink driver cannot run here, or undefined when it can (no process spawned). */
export function reflinkUnavailableReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform !== "linux") return `it needs Linux (this is ${process.platform})`;
  const missing = TOOLS.filter((t) => !onPathSync(t.program, env));
  if (missing.length)
    return `${missing.map((t) => t.program).join(", ")} not on PATH (apt-get install ${[...new Set(missing.map((t) => t.packageName))].join(" ")})`;
  if (!existsSync("/dev/loop-control")) return "no loop devices (/dev/loop-control is missing)";
  if (!isRoot() && !onPathSync("sudo", env)) return "it mounts loop devices, which needs root or sudo";
  if (!kernelHasXfs()) return "this kernel has no XFS (not in /proc/filesystems, no xfs module), which the pool and clone images need";
  return undefined;
}

/** XFS is built in or loaded (/proc/filesystems), or a module the first mount loads. */
export function kernelHasXfs(release = os.release(), filesystems = "/proc/filesystems"): boolean {
  try {
    if (/\sxfs$/m.test(readFileSync(filesystems, "utf8"))) return true;
  } catch {
    // no procfs: fall through to the module tree
  }
  return existsSync(`/lib/modules/${release}/kernel/fs/xfs`);
}

export async function checkReflinkPrerequisites(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const reason = reflinkUnavailableReason(env);
  if (reason) throw new MissingToolError(`The reflink disk driver cannot run here: ${reason}.`);
  if (!isRoot()) {
    const r = await run("sudo", ["-n", "true"], { env, allowFailure: true, packageHint: "sudo" });
    if (r.code !== 0)
      throw new PrivilegeError("The reflink driver mounts loop devices, which needs root. Run as root or allow passwordless sudo (sudo -n true failed).");
  }
}
