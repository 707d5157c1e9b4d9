// The host runtime with a real child process standing in for a server: ready when it says so,
// its own log in the error when it dies, stopped by signal, nothing left running.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CommandError, TimeoutError } from "../../../packages/core/src/errors.js";
import { isAlive } from "../../../packages/core/src/runtime/exec.js";
import { HostRuntime } from "../../../packages/core/src/runtime/index.js";
import type { ServerLaunch } from "../../../packages/core/src/runtime/types.js";

const dirs: string[] = [];
const pids: number[] = [];
afterEach(() => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Live processes whose argv names `text` (ours only: it is a fresh temp path). */
function processesNaming(text: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, "utf8").includes(text) && isAlive(Number(e));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A node script as the "server": `ready` is a file it creates. */
function launchOf(script: string): ServerLaunch & { readyFile: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-host-rt-"));
  dirs.push(dir);
  const readyFile = path.join(dir, "ready");
  return {
    program: process.execPath,
    containerProgram: process.execPath,
    defaultImage: "none",
    args: ["-e", script, readyFile],
    env: { PATH: process.env.PATH ?? "" },
    cwd: dir,
    uid: process.getuid!(),
    gid: process.getgid!(),
    switchUser: false,
    dataOwner: { uid: process.getuid!(), gid: process.getgid!() },
    paths: [dir],
    port: 1,
    logFile: path.join(dir, "server.log"),
    ready: async () => existsSync(readyFile),
    describe: "test server",
    hintFor: (log) => (/port busy/.test(log) ? " Free the port." : ""),
    signals: { fast: "SIGINT", smart: "SIGTERM" },
    readyFile,
  };
}

describe("the host runtime", () => {
  it("resolves with the pid once the server is ready, and stops it with the fast signal", async () => {
    const launch = launchOf(`require("fs").writeFileSync(process.argv[1], ""); process.on("SIGINT", () => process.exit(0)); setInterval(() => {}, 1000);`);
    const runtime = new HostRuntime();
    const handle = await runtime.start(launch, { timeoutMs: 10_000 });
    pids.push(handle.pid!);
    expect(await runtime.isRunning(handle)).toBe(true);
    await runtime.stop(handle, { graceMs: 5000 });
    expect(isAlive(handle.pid!)).toBe(false);
    expect(await runtime.isRunning(handle)).toBe(false);
  });

  it("shows the server's own last log lines and the engine's hint when it exits during start", async () => {
    const launch = launchOf(`console.error("FATAL: port busy"); process.exit(3);`);
    const failure = new HostRuntime().start(launch, { timeoutMs: 10_000 });
    await expect(failure).rejects.toThrow(CommandError);
    await expect(failure).rejects.toThrow(
      /test server did not start: the server exited with code 3\. Free the port\.\nLast lines of .*server\.log:\nFATAL: port busy/,
    );
  });

  it("gives up after the timeout and leaves no process behind", async () => {
    const launch = launchOf(`setInterval(() => {}, 1000);`);
    const failure = new HostRuntime().start(launch, { timeoutMs: 300 });
    await expect(failure).rejects.toThrow(TimeoutError);
    expect(processesNaming(launch.readyFile)).toEqual([]);
  });
});
