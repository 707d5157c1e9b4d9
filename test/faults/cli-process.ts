// The dbclone CLI as a separate process, bundled from source once per test file, so a test can
// SIGKILL it at a pause point (DBCLONE_TEST_PAUSE_AT) and see what a real crash leaves behind.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { bundleOptions } from "../../scripts/build.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export async function bundleCli(outfile: string): Promise<string> {
  await build({ ...bundleOptions(path.join(repoRoot, "packages/cli/src/index.ts"), outfile, { cli: true }), logLevel: "silent" });
  return outfile;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  done: Promise<CliRun>;
}

export function startCli(bundle: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): CliProcess {
  const child = spawn(process.execPath, [bundle, ...args], { env: { ...process.env, ...env }, cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<CliRun>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export async function runCli(bundle: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliRun> {
  return startCli(bundle, args, env, cwd).done;
}

/**
 * Run the CLI until it reaches `step`, then SIGKILL it there. Fails when the process ends
 * before reaching the step (the pause point was never hit) or takes longer than `timeoutMs`.
 */
export async function killAtStep(
  bundle: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  step: string,
  pauseFile: string,
  timeoutMs = 120_000,
): Promise<CliRun> {
  const proc = startCli(bundle, args, { ...env, DBCLONE_TEST_PAUSE_AT: step, DBCLONE_TEST_PAUSE_FILE: pauseFile });
  let ended: CliRun | undefined;
  void proc.done.then((r) => (ended = r));
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(pauseFile) || !readFileSync(pauseFile, "utf8").includes(step)) {
    if (ended) throw new Error(`dbclone ${args[0]} ended (code ${ended.code}) before reaching ${step}: ${ended.stderr.slice(-800)}`);
    if (Date.now() > deadline) {
      proc.child.kill("SIGKILL");
      throw new Error(`dbclone ${args[0]} did not reach ${step} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  proc.child.kill("SIGKILL");
  return proc.done;
}
