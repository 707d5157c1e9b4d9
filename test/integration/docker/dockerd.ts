// A private Docker engine for tests: Debian's dockerd with its own data root, exec root, pidfile and
// socket under a temp dir, no iptables and no bridge (a sandbox has neither). Stopped by PID, then
// its containerd, shims and mounts (netns, overlay, the data root's own bind) are cleaned by path.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import Docker from "dockerode";

export interface TestDockerd {
  root: string;
  socket: string;
  /** unix://… for DOCKER_HOST */
  host: string;
  pid: number;
  docker: Docker;
  storageDriver: string;
  /** The bridge this engine's default network uses (startDockerd({ bridge: true })), else undefined. */
  bridge?: string;
  stop(): Promise<void>;
  /** Our mounts and processes still alive: both must be empty after stop(). */
  leftovers(): { mounts: string[]; processes: number[] };
}

/** Image the tests run: an empty root filesystem; the host's binaries come in by read-only binds. */
export const EMPTY_IMAGE = "dbclone-test/empty:1";
export const HOST_BINDS = ["/usr", "/lib", "/lib64", "/bin", "/etc"].filter((p) => existsSync(p));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const under = (p: string, root: string) => p === root || p.startsWith(`${root}/`);

export function mountsUnder(root: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => !!m && under(m, root))
    .sort((a, b) => b.length - a.length);
}

/** Processes whose argv names a path under root (dockerd, containerd, shims): never by program name. */
export function processesUnder(root: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0");
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") continue;
      if (argv.some((a) => a.includes(root))) pids.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Install docker.io when dockerd is missing (root + apt only): CI's .ci/run normally has. */
function ensureDockerd(): string | undefined {
  if (existsSync("/usr/sbin/dockerd")) return undefined;
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get"))
    return "dockerd is not installed (apt-get install -y --no-install-recommends docker.io) and we cannot install it (not root or no apt-get)";
  try {
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "docker.io"], {
      stdio: "ignore",
      timeout: 300_000,
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  } catch (e) {
    return `apt-get install docker.io failed: ${(e as Error).message}`;
  }
  return existsSync("/usr/sbin/dockerd") ? undefined : "docker.io installed but /usr/sbin/dockerd is missing";
}

async function launch(root: string, storageDriver: string, bridge: string | undefined): Promise<{ pid: number; docker: Docker; log: string }> {
  const socket = path.join(root, "docker.sock");
  const log = path.join(root, `dockerd-${storageDriver}.log`);
  const { openSync, closeSync } = await import("node:fs");
  const fd = openSync(log, "a");
  // Its own temp dir: containerd writes a goroutine dump (containerd.<pid>.stacks.log) to $TMPDIR
  // when told to stop, and /tmp is not ours to leave files in.
  const tmp = path.join(root, "tmp");
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const child = spawn(
    "/usr/sbin/dockerd",
    [
      "--data-root",
      path.join(root, "data"),
      "--exec-root",
      path.join(root, "exec"),
      "--pidfile",
      path.join(root, "dockerd.pid"),
      "--host",
      `unix://${socket}`,
      "--storage-driver",
      storageDriver,
      "--iptables=false",
      "--ip6tables=false",
      "--ip-masq=false",
      // No bridge: host networking only. With one (ours, made below): ports published by docker-proxy.
      ...(bridge ? [`--bridge=${bridge}`] : ["--bridge=none", "--userland-proxy=false"]),
      "--log-level=warn",
    ],
    { detached: true, stdio: ["ignore", fd, fd], env: { ...process.env, TMPDIR: tmp } },
  );
  closeSync(fd);
  child.unref();
  const pid = child.pid!;
  const docker = new Docker({ socketPath: socket });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!alive(pid)) throw new Error(`dockerd (${storageDriver}) exited:\n${readFileSync(log, "utf8").split("\n").slice(-15).join("\n")}`);
    if (existsSync(socket)) {
      try {
        await docker.ping();
        return { pid, docker, log };
      } catch {
        // not yet
      }
    }
    await sleep(50);
  }
  throw new Error(`dockerd (${storageDriver}) did not answer within 30 s:\n${readFileSync(log, "utf8").split("\n").slice(-15).join("\n")}`);
}

async function stopAndClean(root: string, pid: number | undefined): Promise<void> {
  if (pid && alive(pid)) {
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 300 && alive(pid); i++) await sleep(50);
    if (alive(pid)) process.kill(pid, "SIGKILL");
  }
  // containerd and shims normally exit with dockerd; anything still running from our root is killed by PID.
  for (let round = 0; round < 50; round++) {
    const left = processesUnder(root);
    if (left.length === 0) break;
    if (round === 20) for (const p of left) process.kill(p, "SIGKILL");
    await sleep(100);
  }
  for (const m of mountsUnder(root)) {
    try {
      execFileSync("umount", [m], { stdio: "ignore" });
    } catch {
      try {
        execFileSync("umount", ["-l", m], { stdio: "ignore" });
      } catch {
        // reported by leftovers()
      }
    }
  }
}

const ip = (args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

/** A bridge of our own (never docker0, which another engine may use): a name and a /24 unlikely to clash. */
function makeBridge(root: string): string {
  const name = `dbct${path
    .basename(root)
    .slice(-6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "0")}`.slice(0, 15);
  const subnet = 200 + (process.pid % 50);
  ip(["link", "add", "name", name, "type", "bridge"]);
  try {
    ip(["addr", "add", `10.${subnet}.${process.pid % 250}.1/24`, "dev", name]);
    ip(["link", "set", name, "up"]);
  } catch (e) {
    deleteBridge(name);
    throw e;
  }
  return name;
}

function deleteBridge(name: string | undefined): void {
  if (!name) return;
  try {
    ip(["link", "delete", name]);
  } catch {
    // already gone
  }
}

/** Start a private dockerd; { skip } when it cannot be installed or started here. */
export async function startDockerd(opts: { bridge?: boolean } = {}): Promise<TestDockerd | { skip: string }> {
  const missing = ensureDockerd();
  if (missing) return { skip: missing };
  // Short path: the engine's unix sockets must fit in 107 bytes.
  const root = mkdtempSync("/tmp/dbclone-dkd-");
  let bridge: string | undefined;
  if (opts.bridge) {
    try {
      bridge = makeBridge(root);
    } catch (e) {
      rmSync(root, { recursive: true, force: true });
      return { skip: `cannot make a network bridge here (${(e as Error).message.trim()})` };
    }
  }
  const errors: string[] = [];
  // overlay2 where the kernel allows it; vfs (plain copies, fine for an empty image) where not.
  for (const storageDriver of [process.env.DBCLONE_TEST_STORAGE_DRIVER ?? "overlay2", "vfs"]) {
    mkdirSync(path.join(root, "data"), { recursive: true });
    let pid: number | undefined;
    try {
      const started = await launch(root, storageDriver, bridge);
      pid = started.pid;
      await importEmptyImage(started.docker);
      const self: TestDockerd = {
        root,
        socket: path.join(root, "docker.sock"),
        host: `unix://${path.join(root, "docker.sock")}`,
        pid,
        docker: started.docker,
        storageDriver,
        bridge,
        stop: async () => {
          await stopAndClean(root, started.pid);
          deleteBridge(bridge);
          if (mountsUnder(root).length === 0) rmSync(root, { recursive: true, force: true });
        },
        leftovers: () => ({ mounts: mountsUnder(root), processes: processesUnder(root) }),
      };
      return self;
    } catch (e) {
      errors.push((e as Error).message);
      await stopAndClean(root, pid);
      rmSync(path.join(root, "data"), { recursive: true, force: true });
      rmSync(path.join(root, "exec"), { recursive: true, force: true });
    }
  }
  deleteBridge(bridge);
  if (mountsUnder(root).length === 0) rmSync(root, { recursive: true, force: true });
  return { skip: `dockerd could not be started here: ${errors.join("\n---\n")}` };
}

/** `docker import` of an empty tar, through the API: no registry is needed. */
async function importEmptyImage(docker: Docker): Promise<void> {
  const emptyTar = Readable.from([Buffer.alloc(1024)]); // two zero blocks: a valid empty archive
  const [repo, tag] = EMPTY_IMAGE.split(":");
  const stream = await docker.importImage(emptyTar, { repo, tag });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
  await docker.getImage(EMPTY_IMAGE).inspect();
}
