// Independent safety net for the qcow2 tests: removes every mount, loop device and
// qemu-storage-daemon under a test root with raw commands, so a bug in the driver's own
// cleanup cannot leak onto the machine. Only pids whose pidfile/cmdline point under root are killed.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";

const under = (p: string, root: string) => p === root || p.startsWith(`${root}/`);

function daemonPidsUnder(root: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0");
      if (/qemu-storage-daemon$/.test(argv[0] ?? "") && argv.some((a) => a.includes(root))) pids.push(Number(e));
    } catch {
      // gone
    }
  }
  return pids;
}

const mountsUnder = (root: string): string[] =>
  readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => !!m && under(m, root))
    .sort((a, b) => b.length - a.length);

export function forceCleanup(root: string): string[] {
  const actions: string[] = [];
  const quiet = (argv: string[]) => {
    try {
      execFileSync(argv[0]!, argv.slice(1), { stdio: "ignore" });
    } catch {
      // best effort
    }
  };
  // Mounts: the XFS loop mounts first (deepest path first), then FUSE exports.
  for (const m of mountsUnder(root).filter((m) => !m.endsWith(".export.raw"))) {
    actions.push(`umount ${m}`);
    quiet(["umount", m]);
    if (mountsUnder(root).includes(m)) quiet(["umount", "-l", m]);
  }
  for (const name of readdirSync("/sys/block").filter((n) => n.startsWith("loop"))) {
    try {
      const backing = readFileSync(`/sys/block/${name}/loop/backing_file`, "utf8").trim();
      if (under(backing, root)) {
        actions.push(`losetup -d /dev/${name}`);
        quiet(["losetup", "-d", `/dev/${name}`]);
      }
    } catch {
      // not attached
    }
  }
  for (const pid of daemonPidsUnder(root)) {
    actions.push(`kill -9 ${pid}`);
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  for (const m of mountsUnder(root)) {
    actions.push(`umount ${m}`);
    quiet(["umount", m]);
    if (mountsUnder(root).includes(m)) quiet(["umount", "-l", m]);
  }
  if (mountsUnder(root).length === 0) rmSync(root, { recursive: true, force: true });
  else actions.push(`left ${root} in place: still mounted`);
  return actions;
}

export const relative = (root: string, p: string) => path.relative(root, p);
