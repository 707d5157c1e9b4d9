// Who owns a record: a pid plus the process's start time, so a recycled pid is never mistaken
// for the (dead) process that wrote the record.
import { readFileSync } from "node:fs";
import path from "node:path";

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22); absent off Linux. */
  start?: number;
}

function startTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which is in parentheses and may hold spaces): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

export function currentProcess(): ProcessIdentity {
  return { pid: process.pid, start: startTicks(process.pid) };
}

/** True while the very process that `owner` names still runs (not a zombie, not a reused pid). */
export function ownerAlive(owner: ProcessIdentity | undefined): boolean {
  if (!owner) return false;
  if (owner.pid === process.pid) return owner.start === undefined || owner.start === startTicks(process.pid);
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (process.platform !== "linux") return true;
  const now = startTicks(owner.pid);
  if (now === undefined) return false;
  return owner.start === undefined || owner.start === now;
}

/**
 * True when `pid` is a postgres whose data directory (`-D`) lies under `dir`: the proof that a
 * recorded server pid is still ours before we signal it (after a crash the pid may have been reused
 * by an unrelated process). Off Linux there is no /proc to ask: the recorded pid is trusted.
 */
export function isPostgresOf(pid: number, dir: string): boolean {
  if (process.platform !== "linux") return true;
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return false;
  }
  if (!/(^|\/)postgres$/.test(argv[0] ?? "")) return false;
  const d = argv.indexOf("-D");
  const dataDir = d >= 0 ? argv[d + 1] : undefined;
  if (!dataDir) return false;
  const rel = path.relative(path.resolve(dir), path.resolve(dataDir));
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}
