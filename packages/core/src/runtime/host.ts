// The host runtime: the server is a detached host process, polled every 5 ms until it answers.
// Why not runtime/exec.ts run(): that waits for a command to finish; a server must outlive us.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, constants, existsSync, openSync, readFileSync, statSync } from "node:fs";
import { CommandError, TimeoutError } from "../errors.js";
import { childEnv } from "./childEnv.js";
import { pausePoint } from "../util/pause-point.js";
import { isAlive, waitForExit } from "./exec.js";
import type { Runtime, ServerHandle, ServerLaunch, StartServerOptions } from "./types.js";

const POLL_MS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The new lines of a log since `offset`, last `lines` of them. */
export function logTail(logFile: string, offset = 0, lines = 15): string {
  try {
    const text = readFileSync(logFile).subarray(offset).toString("utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function startFailure(launch: ServerLaunch, tail: string, what: string): string {
  return `${launch.describe} did not start: ${what}.${launch.hintFor(tail)}\nLast lines of ${launch.logFile}:\n${tail}`;
}

/** Start the program; resolves with its pid once launch.ready() said so. */
export async function startHostProcess(launch: ServerLaunch, opts: StartServerOptions): Promise<{ pid: number }> {
  const offset = existsSync(launch.logFile) ? statSync(launch.logFile).size : 0;
  // The log lives in a directory the server user owns: never follow a link it may have left there.
  const logFd = openSync(launch.logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
  let child: ChildProcess;
  try {
    child = spawn(launch.program, launch.args, {
      detached: true, // own process group: a Ctrl-C aimed at us does not hit the clone
      stdio: ["ignore", logFd, logFd],
      // The allow-list plus what this server needs: the runner's secrets never reach it.
      env: childEnv(launch.env),
      cwd: launch.cwd,
      ...(launch.switchUser ? { uid: launch.uid, gid: launch.gid } : {}),
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
    throw new CommandError(`Could not run ${launch.program}: ${spawnError?.message}`, launch.program, null, "");
  }
  const pid = child.pid;
  // Spawned, not yet ready nor recorded by its caller: a crash here leaves a server nobody names.
  await pausePoint("server:spawned");

  const deadline = Date.now() + opts.timeoutMs;
  while (true) {
    if (exit) {
      const tail = logTail(launch.logFile, offset);
      throw new CommandError(startFailure(launch, tail, `the server ${exit}`), launch.program, null, tail);
    }
    if (Date.now() > deadline) {
      await stopHostProcess(pid, launch.signals, { graceMs: 2000 });
      throw new TimeoutError(startFailure(launch, logTail(launch.logFile, offset), `not ready after ${Math.round(opts.timeoutMs / 1000)} s`));
    }
    if (await launch.ready()) return { pid };
    await sleep(POLL_MS);
  }
}

/**
 * Stop a server by pid: the fast signal (or the smart one); after graceMs SIGQUIT, then SIGKILL of
 * the whole process group. Tolerates a pid that is already gone.
 */
export async function stopHostProcess(pid: number, signals: ServerLaunch["signals"], opts: { fast?: boolean; graceMs?: number } = {}): Promise<void> {
  const signal = (sig: NodeJS.Signals, target = pid): void => {
    try {
      process.kill(target, sig);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
  };
  if (!isAlive(pid)) return;
  signal(opts.fast === false ? signals.smart : signals.fast);
  if (await waitForExit(pid, opts.graceMs ?? 60_000)) return;
  signal("SIGQUIT");
  if (await waitForExit(pid, 5000)) return;
  signal("SIGKILL", -pid);
  await waitForExit(pid, 5000);
}

/** PostgreSQL-style signals; a server of another kind passes its own to stopHostProcess. */
const DEFAULT_SIGNALS: ServerLaunch["signals"] = { fast: "SIGINT", smart: "SIGTERM" };

export class HostRuntime implements Runtime {
  readonly kind = "host" as const;

  async start(launch: ServerLaunch, opts: StartServerOptions): Promise<ServerHandle> {
    return startHostProcess(launch, opts);
  }

  async stop(handle: ServerHandle, opts: { fast?: boolean; graceMs?: number } = {}): Promise<void> {
    if (handle.pid) await stopHostProcess(handle.pid, DEFAULT_SIGNALS, { fast: opts.fast !== false, graceMs: opts.graceMs });
  }

  async isRunning(handle: ServerHandle): Promise<boolean> {
    return handle.pid !== undefined && isAlive(handle.pid);
  }

  async checkAvailable(): Promise<void> {}
}
