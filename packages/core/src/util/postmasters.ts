// PostgreSQL postmasters whose data directory lies under a directory, found in /proc and proved
// before anyone may signal them. A pid read from a file alone is never trusted, and nothing is
// chosen by its name: the process must name the data directory, stand in it, live in our pid
// namespace, and be the pid that data directory's own postmaster.pid (its user's file) names.
import { constants } from "node:fs";
import { open, readdir, readFile, readlink, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { isWithin } from "./within.js";

export interface Postmaster {
  pid: number;
  /** Its `-D`, absolute, as it was started with. */
  dataDir: string;
  /** Its whole argv (read, for example, for its socket directory setting). */
  args: string[];
}

/** postmaster.pid's first line is the pid; the file is a few hundred bytes. */
const PID_FILE_MAX_BYTES = 4096;

/** Every proved postmaster under `dir`; empty where there is no /proc (off Linux) or no such server. */
export async function postmastersUnder(dir: string): Promise<Postmaster[]> {
  const roots = await rootsOf(dir);
  const ownNamespace = await readlink("/proc/self/ns/pid").catch(() => undefined);
  const found: Postmaster[] = [];
  for (const entry of await readdir("/proc").catch(() => [])) {
    if (!/^[1-9]\d*$/.test(entry)) continue;
    const pm = await provePostmaster(Number(entry), roots, ownNamespace);
    if (pm) found.push(pm);
  }
  return found;
}

/** The same proof for one pid, just before it is signalled (it may have exited meanwhile). */
export async function isPostmasterUnder(pid: number, dir: string): Promise<boolean> {
  const ownNamespace = await readlink("/proc/self/ns/pid").catch(() => undefined);
  return (await provePostmaster(pid, await rootsOf(dir), ownNamespace)) !== undefined;
}

/** `dir` as given and with its links resolved: argv names the one, /proc's cwd link the other. */
async function rootsOf(dir: string): Promise<string[]> {
  const given = path.resolve(dir);
  const real = await realpath(given).catch(() => given);
  return [...new Set([given, real])];
}

async function provePostmaster(pid: number, roots: string[], ownNamespace: string | undefined): Promise<Postmaster | undefined> {
  if (pid === process.pid || ownNamespace === undefined) return undefined;
  try {
    const args = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
    // A postmaster keeps its argv; its children rewrite theirs ("postgres: checkpointer").
    if (!/^(postgres|postmaster)$/.test(path.basename(args[0] ?? ""))) return undefined;
    const dataDir = dataDirArg(args);
    if (!dataDir || !path.isAbsolute(dataDir) || !roots.some((r) => isWithin(dataDir, r))) return undefined;
    // In another pid namespace (a container) the pid its postmaster.pid holds is not this one.
    if ((await readlink(`/proc/${pid}/ns/pid`)) !== ownNamespace) return undefined;
    const cwd = await readlink(`/proc/${pid}/cwd`);
    if (!roots.some((r) => isWithin(cwd, r))) return undefined;
    // The file a postmaster writes is its user's: one another user wrote proves nothing.
    const owner = (await stat(`/proc/${pid}`)).uid;
    return (await pidFileNames(dataDir, owner)) === pid ? { pid, dataDir: path.resolve(dataDir), args } : undefined;
  } catch {
    return undefined; // exited meanwhile, or not ours to read
  }
}

/** `-D <dir>` or `-D<dir>`. */
function dataDirArg(args: string[]): string | undefined {
  const i = args.indexOf("-D");
  if (i >= 0) return args[i + 1] || undefined;
  return args.find((a) => a.startsWith("-D") && a.length > 2)?.slice(2);
}

/** The pid on postmaster.pid's first line: a plain file owned by `owner`, never through a link. */
async function pidFileNames(dataDir: string, owner: number): Promise<number | undefined> {
  const file = path.join(dataDir, "postmaster.pid");
  const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!fh) return undefined;
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.uid !== owner) return undefined;
    const buf = Buffer.alloc(PID_FILE_MAX_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const first = buf.subarray(0, bytesRead).toString("utf8").split("\n")[0]?.trim() ?? "";
    return /^[1-9]\d{0,9}$/.test(first) ? Number(first) : undefined;
  } finally {
    await fh.close();
  }
}
