// Who owns a record: a pid plus the process's start time, so a recycled pid is never mistaken
// for the (dead) process that wrote the record.
import { readFileSync } from "node:fs";

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
