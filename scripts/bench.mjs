#!/usr/bin/env node
// `npm run bench -- <name> [args]`: bundles bench/<name>.ts with esbuild and runs it with node.
// Results are written by each benchmark to bench/results/<name>.json.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const [name, ...args] = process.argv.slice(2);
const available = fs
  .readdirSync("bench")
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join("|")}> [options]`);
  process.exit(2);
}
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-bench-"));
const outfile = path.join(outDir, `${name}.cjs`);
try {
  await build({
    entryPoints: [`bench/${name}.ts`],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    outfile,
    external: ["pg-native", "cpu-features", "*.node"],
    logLevel: "error",
  });
  const result = spawnSync(process.execPath, [outfile, ...args], { stdio: "inherit" });
  process.exitCode = result.status ?? 1;
} finally {
  fs.rmSync(outDir, { recursive: true, force: true });
}
