// Builds the repository module into one .mjs (once per test file) and runs publisher child processes.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../..");
export const CHILD_SCRIPT = path.join(repoRoot, "test/fixtures/repository/publish-child.mjs");

/** Bundle packages/core/src/repository into `outfile` so plain `node` can run it. */
export async function bundleRepositoryModule(outfile: string): Promise<void> {
  await build({
    entryPoints: [path.join(repoRoot, "packages/core/src/repository/index.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "silent",
    // proper-lockfile is CommonJS and calls require("fs"): give the ESM bundle a real require.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  ok?: boolean;
  name?: string;
  message?: string;
  manifestDigest?: string;
  stderr: string;
}

export function startPublisher(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<ChildResult> } {
  const child = spawn(process.execPath, [CHILD_SCRIPT, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<ChildResult>((resolve) => {
    child.on("close", (code, signal) => {
      const last = stdout.trim().split("\n").pop();
      let parsed: Partial<ChildResult> = {};
      try {
        parsed = last ? (JSON.parse(last) as Partial<ChildResult>) : {};
      } catch {
        /* killed mid-write: no result line */
      }
      resolve({ code, signal, stderr, ...parsed });
    });
  });
  return { child, done };
}
