// A second, real PostgreSQL server that takes over a clone's port: the accident (a clone's server
// died and something else bound its port) that clone identity checks exist for. It accepts the
// clone's login (trust, same role and database names), so only the identity check can tell.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const BIN = "/usr/lib/postgresql/15/bin";
const asPostgres = (cmd: string, args: string[]) =>
  execFileSync("runuser", ["-u", "postgres", "--", path.join(BIN, cmd), ...args], { stdio: "pipe", encoding: "utf8" });

export class WrongServer {
  private readonly dataDir: string;
  private running = false;

  /** Prepare (initdb) under `dir`, which must be under a root the test's cleanup owns. */
  constructor(private readonly dir: string) {
    this.dataDir = path.join(dir, "data");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    execFileSync("chown", ["postgres:postgres", dir]);
    asPostgres("initdb", ["-D", this.dataDir, "-U", "postgres", "-A", "trust", "--no-sync"]);
    writeFileSync(path.join(this.dataDir, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n");
  }

  /** Start on `port` (synchronously: callable from a reporter hook) with the login the clone handed out. */
  takeOver(connectionString: string): void {
    const url = new URL(connectionString);
    const user = decodeURIComponent(url.username);
    const db = decodeURIComponent(url.pathname.slice(1));
    asPostgres("pg_ctl", [
      "-D",
      this.dataDir,
      "-l",
      this.logFile,
      "-w",
      "-t",
      "60",
      "-o",
      `-p ${url.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c log_connections=on`,
      "start",
    ]);
    this.running = true;
    const psql = (sql: string) =>
      asPostgres("psql", ["-X", "-q", "-h", this.dir, "-p", url.port, "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql]);
    psql(`DROP DATABASE IF EXISTS "${db}"`);
    psql(`DO $$ BEGIN CREATE ROLE "${user}" LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    psql(`CREATE DATABASE "${db}" OWNER "${user}"`);
  }

  /** Log lines of connection attempts that named a user other than the server's own (postgres). */
  loginsSeen(): string[] {
    const log = existsSync(this.logFile) ? readFileSync(this.logFile, "utf8") : "";
    return log.split("\n").filter((line) => /user[= ]"?(?!postgres\b)\w/.test(line) || /role "(?!postgres")/.test(line));
  }

  private get logFile(): string {
    return path.join(this.dir, "log");
  }

  get pid(): number {
    return Number(readFileSync(path.join(this.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    // A teardown that signalled the recorded pid may have stopped it already.
    if (!existsSync(path.join(this.dataDir, "postmaster.pid"))) return;
    asPostgres("pg_ctl", ["-D", this.dataDir, "-m", "immediate", "-w", "stop"]);
  }
}

/** The postmaster pid of the clone listening on `port`: from its data directory's postmaster.pid. */
export function clonePostmasterPid(home: string, port: number): number {
  const clones = path.join(home, "clones");
  for (const id of readdirSync(clones)) {
    const mnt = path.join(clones, id, "mnt");
    for (const sub of ["", ...safeList(mnt)]) {
      const file = path.join(mnt, sub, "postmaster.pid");
      try {
        const lines = readFileSync(file, "utf8").split("\n");
        if (Number(lines[3]) === port) return Number(lines[0]);
      } catch {
        // not a data directory
      }
    }
  }
  throw new Error(`no clone server listens on port ${port} under ${clones}`);
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Kill a process and wait (synchronously) until it is gone, so its port is free. */
export function killAndWait(pid: number): void {
  process.kill(pid, "SIGKILL");
  for (let i = 0; i < 100; i++) {
    if (!isLive(pid)) return;
    execFileSync("sleep", ["0.05"]);
  }
  throw new Error(`process ${pid} did not exit`);
}

/** Alive and not a zombie (a killed child of ours stays a zombie until Node reaps it). */
function isLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
