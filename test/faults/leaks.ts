// What a crash may leave on the machine, looked up independently of dbclone's own code: mounts,
// loop devices, processes and files under a test root.
import { type Dirent, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { processesUnder } from "../integration/clones/fixture.js";

const under = (p: string, root: string) => p === root || p.startsWith(`${root}/`);

export function mountsUnder(root: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4]?.replace(/\\040/g, " "))
    .filter((m): m is string => !!m && under(m, root));
}

export function loopsUnder(root: string): string[] {
  const out: string[] = [];
  for (const dev of readdirSync("/sys/block").filter((d) => d.startsWith("loop"))) {
    try {
      const backing = readFileSync(`/sys/block/${dev}/loop/backing_file`, "utf8").trim();
      if (under(backing.replace(/ \(deleted\)$/, ""), root)) out.push(`/dev/${dev} ${backing}`);
    } catch {
      // not bound
    }
  }
  return out;
}

/** Files and dirs under `dir` (recursively) whose name matches `pattern`; mounts are not entered. */
export function filesMatching(dir: string, pattern: RegExp, skip: string[] = []): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (skip.some((s) => under(d, s))) return;
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (pattern.test(e.name)) out.push(p);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Everything left under root except what `keep` (a live clone's dir) legitimately holds. */
export function leaksUnder(root: string, keepDirs: string[]): string[] {
  // A kept clone's disk: under its directory (qcow2), or its copy in a reflink pool (<home>/pool/clones/<id>.raw).
  const keep = (s: string) => keepDirs.some((k) => s.includes(k) || s.includes(`/pool/clones/${path.basename(k)}.raw`));
  // The reflink pool itself (its pool file's loop device and mount) stays for the next clone, like the blob cache.
  const loops = loopsUnder(root);
  const poolFiles = loops.map((l) => l.split(" ")[1]!).filter((b) => b.endsWith("/pool.xfs"));
  const isPool = (s: string) => poolFiles.some((f) => s === f.slice(0, -".xfs".length) || s.endsWith(` ${f}`));
  return [
    ...mountsUnder(root)
      .filter((m) => !keep(m) && !isPool(m))
      .map((m) => `mount ${m}`),
    ...loops.filter((l) => !keep(l) && !isPool(l)).map((l) => `loop ${l}`),
    ...processesUnder(root)
      .filter((pid) => {
        try {
          return !keep(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
        } catch {
          return false;
        }
      })
      .map((pid) => `process ${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").slice(0, 160)}`),
  ];
}

const loopBacking = (dev: string): string | undefined => {
  try {
    return readFileSync(`/sys/block/${dev}/loop/backing_file`, "utf8")
      .trim()
      .replace(/ \(deleted\)$/, "");
  } catch {
    return undefined; // not bound
  }
};

/**
 * Filesystems stranded in the kernel: an XFS still alive (/sys/fs/xfs/loopN) or a loop device
 * whose backing is "/" (the FUSE export it sat on is gone), unless its loop is bound to a live
 * file outside `root` (another test's disk). Neither can be freed without a reboot, so a test
 * compares the set after it with the set before.
 */
export function strandedFilesystems(root: string): Set<string> {
  const out = new Set<string>();
  const stranded = (backing: string | undefined) => backing === undefined || backing === "/" || under(backing, root);
  let xfs: string[] = [];
  try {
    xfs = readdirSync("/sys/fs/xfs").filter((d) => d.startsWith("loop"));
  } catch {
    // no XFS loaded
  }
  for (const dev of xfs) if (stranded(loopBacking(dev))) out.add(`xfs ${dev}`);
  for (const dev of readdirSync("/sys/block").filter((d) => d.startsWith("loop"))) {
    if (loopBacking(dev) === "/") out.add(`loop /dev/${dev} (/)`);
  }
  return out;
}

/** What is stranded now and was not in `before`. */
export const strandedSince = (before: Set<string>, root: string): string[] => [...strandedFilesystems(root)].filter((s) => !before.has(s));
