// Runs the `postgres` binary directly as a detached daemon and waits until it answers a query.
// Not `pg_ctl -w`: it polls every 100 ms, and a clone must be ready in about a tenth of that.
// Why not runtime/exec.ts run(): that waits for a command to finish; a server must outlive us.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { CommandError, TimeoutError } from "../../errors.js";
import { isAlive, waitForExit } from "../../runtime/exec.js";
import type { PgBinaries } from "./binaries.js";
import { serverUser } from "./osUser.js";

export interface LaunchSpec {
  bins: PgBinaries;
  dataDir: string;
  /** Private unix-socket directory, already owned by the server user. */
  socketDir: string;
  port: number;
  /** Passed as `-c name=value` (argv, never a shell string). */
  settings: Record<string, string>;
  logFile: string;
  /** Role used for the readiness query over the socket. */
  connectUser: string;
  timeoutMs: number;
}

const POLL_MS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server's environment: ours minus libpq variables that could redirect it. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^PG/.test(k)) env[k] = v;
  return env;
}

/** The new lines of a log since `offset`, last `lines` of them. */
export function logTail(logFile: string, offset = 0, lines = 15): string {
  try {
    const text = readFileSync(logFile).subarray(offset).toString("utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function startFailure(spec: LaunchSpec, offset: number, what: string): string {
  const tail = logTail(spec.logFile, offset);
  const hint = /Address already in use|could not create any TCP\/IP sockets/.test(tail)
    ? ` Port ${spec.port} is already in use on this host; choose another port or stop what holds it.`
    : "";
  return `PostgreSQL over ${spec.dataDir} did not start: ${what}.${hint}\nLast lines of ${spec.logFile}:\n${tail}`;
}

/** Start postgres; resolves with its pid once `SELECT 1` answered over the socket. */
export async function launchPostgres(spec: LaunchSpec): Promise<{ pid: number }> {
  const user = serverUser();
  const offset = existsSync(spec.logFile) ? statSync(spec.logFile).size : 0;
  const args = ["-D", spec.dataDir, "-p", String(spec.port)];
  for (const [k, v] of Object.entries(spec.settings)) args.push("-c", `${k}=${v}`);
  const logFd = openSync(spec.logFile, "a", 0o640);
  let child;
  try {
    child = spawn(spec.bins.bin("postgres"), args, {
      detached: true, // own process group: a Ctrl-C aimed at us does not hit the clone
      stdio: ["ignore", logFd, logFd],
      env: serverEnv(),
      cwd: spec.dataDir,
      ...(user.asUser ? { uid: user.uid, gid: user.gid } : {}),
    });
  } finally {
    closeSync(logFd);
  }
  let exit: string | undefined;
  let spawnError: Error | undefined;
  child.once("error", (e) => (spawnError = e));
  child.once("exit", (code, signal) => (exit = signal ? `killed by ${signal}` : `exited with code ${code}`));
  child.unref();
  await sleep(0); // let a spawn error surface
  if (spawnError || child.pid === undefined) {
    throw new CommandError(`Could not run ${spec.bins.bin("postgres")}: ${spawnError?.message}`, "postgres", null, "");
  }
  const pid = child.pid;

  const socket = path.join(spec.socketDir, `.s.PGSQL.${spec.port}`);
  const deadline = Date.now() + spec.timeoutMs;
  while (true) {
    if (exit) throw new CommandError(startFailure(spec, offset, `the server ${exit}`), "postgres", null, logTail(spec.logFile, offset));
    if (Date.now() > deadline) {
      await stopPostgres(pid, { graceMs: 2000 });
      throw new TimeoutError(startFailure(spec, offset, `not ready after ${Math.round(spec.timeoutMs / 1000)} s`));
    }
    if (existsSync(socket) && (await answers(spec))) return { pid };
    await sleep(POLL_MS);
  }
}

/** True when the server ran a query; false while it is still starting. */
async function answers(spec: LaunchSpec): Promise<boolean> {
  const client = new pg.Client({ host: spec.socketDir, port: spec.port, user: spec.connectUser, database: "postgres" });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (e) {
    // A server-side error other than "starting up" (57P03) — e.g. no database "postgres", or an
    // unknown role — means the server answered: it is ready. Socket errors mean not yet.
    return e instanceof pg.DatabaseError && e.code !== "57P03";
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Stop a postmaster by pid: SIGINT (fast: roll back sessions, clean shutdown) or SIGTERM (smart:
 * wait for sessions); after graceMs SIGQUIT, then SIGKILL of the whole process group.
 * Tolerates a pid that is already gone.
 */
export async function stopPostgres(pid: number, opts: { fast?: boolean; graceMs?: number } = {}): Promise<void> {
  const signal = (sig: NodeJS.Signals, target = pid): void => {
    try {
      process.kill(target, sig);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
  };
  if (!isAlive(pid)) return;
  signal(opts.fast === false ? "SIGTERM" : "SIGINT");
  if (await waitForExit(pid, opts.graceMs ?? 60_000)) return;
  signal("SIGQUIT");
  if (await waitForExit(pid, 5000)) return;
  signal("SIGKILL", -pid);
  await waitForExit(pid, 5000);
}
