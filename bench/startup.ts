// `npm run bench -- startup [--runs 21] [--no-install] [--clones 9 | --clones 0]`
// Cold start of the CLI against `node -e 0`, interleaved in one run so every command sees the same
// machine load: `--version`, `--help`, `images --json` on an empty repository from dist/cli, the
// bin installed from `npm pack` of packages/cli (as a user gets it), and the whole CLI bundled into
// one file as it was before the split (the baseline). Then `dbclone clone` wall time (process start to
// exit, clone ready) of dist and of the one-file baseline, alternating, on a small sample image
// (needs what clones need: root, qemu, FUSE). Also lists the size of every dist/ file.
// Needs a built dist/ (npm run build). Writes bench/results/startup.json.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildImage } from "../packages/core/src/build/index.js";
import { createSampleDump } from "../packages/core/src/engine/index.js";
import { silentReporter } from "../packages/core/src/reporter.js";
import { openRepository } from "../packages/core/src/repository/index.js";
import { percentile, round, table } from "./lib/stats.js";

const argv = process.argv.slice(2);
const runs = Math.max(15, Number(argv[argv.indexOf("--runs") + 1] ?? 21) || 21);
const install = !argv.includes("--no-install");
const clones = argv.includes("--clones") ? Number(argv[argv.indexOf("--clones") + 1]) : 9;
const repoRoot = process.cwd();
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Case {
  name: string;
  file: string;
  args: string[];
}

/** The CLI as one file, as dist/cli/index.cjs was built before the split: the same-run baseline. */
function buildMonolith(outfile: string): void {
  const script = `import { build } from "esbuild"; import { bundleOptions } from "./scripts/build.mjs";
await build(bundleOptions(${JSON.stringify(path.join(repoRoot, "packages/cli/src/index.ts"))}, ${JSON.stringify(outfile)}, { cli: true }));`;
  execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: repoRoot, stdio: "inherit" });
}

/** npm pack packages/cli and npm install -g the tarball into `prefix`; returns the installed bin. */
function installCli(tmp: string): string {
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))),
    npm_config_cache: path.join(tmp, "npm-cache"),
    npm_config_update_notifier: "false",
  };
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", tmp], { cwd: path.join(repoRoot, "packages/cli"), env, encoding: "utf8" }).replace(
      /^[^[]*/,
      "",
    ),
  );
  const prefix = path.join(tmp, "prefix");
  execFileSync("npm", ["install", "--global", "--prefix", prefix, "--offline", "--no-audit", "--no-fund", path.join(tmp, packed[0].filename)], {
    env,
    stdio: "ignore",
  });
  return path.join(prefix, "bin", "dbclone");
}

function timeOnce(c: Case, env: NodeJS.ProcessEnv): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(c.file, c.args, { env, stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** `dbclone clone` then `dbclone teardown` per run, alternating the CLI files; wall ms of the clone. */
async function cloneWall(tmp: string, files: Record<string, string>): Promise<Record<string, { p50Ms: number; minMs: number; maxMs: number }>> {
  const repo = path.join(tmp, "clone-repository");
  const home = path.join(tmp, "clone-home");
  const dump = path.join(tmp, "shop.dump");
  log("sample image for clone runs …");
  await createSampleDump(dump, { sizeMb: 5, seed: 7 });
  const repository = await openRepository(repo, { cacheDir: path.join(home, "cache") });
  await buildImage({ repository, name: "shop", version: "v1", sources: [{ kind: "dump", path: dump }], home, reporter: silentReporter });
  const env = { ...process.env, DBCLONE_REPO: repo, DBCLONE_HOME: home };
  const samples = Object.fromEntries(Object.keys(files).map((k) => [k, [] as number[]]));
  try {
    await cloneRuns(files, env, samples);
  } finally {
    // A failed run may leave the clone behind: tear it down before the temp dir goes.
    spawnSync(process.execPath, [files.dist!, "teardown", "--name", "bench"], { env, stdio: "ignore" });
  }
  return Object.fromEntries(
    Object.entries(samples).map(([k, xs]) => [k, { p50Ms: round(percentile(xs, 50), 1), minMs: round(Math.min(...xs), 1), maxMs: round(Math.max(...xs), 1) }]),
  );
}

async function cloneRuns(files: Record<string, string>, env: NodeJS.ProcessEnv, samples: Record<string, number[]>): Promise<void> {
  // One uncounted warm-up of each (page cache, first mount).
  for (let i = -1; i < clones; i++) {
    for (const [name, file] of Object.entries(files)) {
      const t = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [file, "clone", "shop:v1", "--name", "bench", "--json"], { env, encoding: "utf8" });
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      const down = spawnSync(process.execPath, [file, "teardown", "--name", "bench"], { env, encoding: "utf8" });
      if (r.status !== 0 || down.status !== 0) throw new Error(`${name}: clone exited ${r.status}, teardown ${down.status}: ${r.stderr}${down.stderr}`);
      if (i >= 0) samples[name]!.push(ms);
    }
  }
}

function distSizes(): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const f of fs.readdirSync(path.join(repoRoot, "dist"), { recursive: true }).map(String).sort()) {
    const stat = fs.statSync(path.join(repoRoot, "dist", f));
    if (stat.isFile()) sizes[`dist/${f}`] = stat.size;
  }
  return sizes;
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-bench-startup-"));
  // PostgreSQL (user postgres) must traverse it to the clone's data directory.
  fs.chmodSync(tmp, 0o711);
  try {
    const repo = path.join(tmp, "repository");
    fs.mkdirSync(repo);
    const env = { ...process.env, DBCLONE_REPO: repo, DBCLONE_HOME: path.join(tmp, "home") };
    const node = process.execPath;
    const cli = path.join(repoRoot, "dist/cli/index.cjs");
    const monolith = path.join(tmp, "monolith.cjs");
    log("bundling the one-file baseline …");
    buildMonolith(monolith);
    const cases: Case[] = [
      { name: "node -e 0", file: node, args: ["-e", "0"] },
      { name: "dist --version", file: node, args: [cli, "--version"] },
      { name: "dist --help", file: node, args: [cli, "--help"] },
      { name: "dist images --json", file: node, args: [cli, "images", "--json"] },
      { name: "one-file --version (before)", file: node, args: [monolith, "--version"] },
      { name: "one-file images --json (before)", file: node, args: [monolith, "images", "--json"] },
    ];
    if (install) {
      log("npm pack + install of packages/cli …");
      const bin = installCli(tmp);
      cases.push({ name: "installed --version", file: bin, args: ["--version"] }, { name: "installed images --json", file: bin, args: ["images", "--json"] });
    }
    const samples = new Map(cases.map((c) => [c.name, [] as number[]]));
    for (const c of cases) timeOnce(c, env); // warm the file cache once
    log(`${runs} interleaved runs of ${cases.length} commands …`);
    for (let i = 0; i < runs; i++) for (const c of cases) samples.get(c.name)!.push(timeOnce(c, env));
    const base = percentile(samples.get("node -e 0")!, 50);
    const results = cases.map((c) => {
      const xs = samples.get(c.name)!;
      const p50 = percentile(xs, 50);
      // Also the median of per-round ratios: each against the node -e 0 run next to it, so load drift cancels.
      const paired = percentile(
        xs.map((x, i) => x / samples.get("node -e 0")![i]!),
        50,
      );
      return {
        name: c.name,
        p50Ms: round(p50, 1),
        minMs: round(Math.min(...xs), 1),
        maxMs: round(Math.max(...xs), 1),
        ratioToNode: round(p50 / base, 2),
        pairedRatioToNode: round(paired, 2),
      };
    });
    console.log(
      table([
        ["command", "p50 ms", "min", "max", "× node -e 0", "paired ×"],
        ...results.map((r) => [r.name, r.p50Ms, r.minMs, r.maxMs, r.ratioToNode, r.pairedRatioToNode]),
      ]),
    );
    const sizes = distSizes();
    const target = results.find((r) => r.name === (install ? "installed --version" : "dist --version"))!;
    console.log(`\n--version target ≤ 1.3× node -e 0: ${target.name} ${target.ratioToNode}× → ${target.ratioToNode <= 1.3 ? "met" : "NOT met"}`);
    const clone = clones > 0 ? await cloneWall(tmp, { dist: cli, "one-file (before)": monolith }) : undefined;
    if (clone)
      console.log(
        `\n\`dbclone clone\` wall (${clones} runs, alternating):\n${table([["cli", "p50 ms", "min", "max"], ...Object.entries(clone).map(([k, v]) => [k, v.p50Ms, v.minMs, v.maxMs])])}`,
      );
    const result = {
      date: new Date().toISOString(),
      runs,
      node: process.version,
      cores: os.cpus().length,
      loadavg: os.loadavg().map((x) => round(x, 2)),
      results,
      ...(clone ? { cloneWall: { runs: clones, ...clone } } : {}),
      oneFileBytes: fs.statSync(monolith).size,
      distBytes: sizes,
    };
    fs.mkdirSync("bench/results", { recursive: true });
    fs.writeFileSync("bench/results/startup.json", `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
