// Wall-clock measurements of whole processes for the clone bench: `dbclone clone` from process
// start to exit (the built CLI, as a user runs it), its floor (`node -e 0` plus PostgreSQL started
// on a copy of the same data directory to its first answered query), `dbclone --version`, and the
// machine's load average while all this runs (the machine is shared).
import { spawnSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { run } from "../../packages/core/src/runtime/index.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { freePort } from "../../packages/core/src/util/index.js";
import type { NativeServer } from "./source-server.js";
import { percentile, round } from "./stats.js";

/** Milliseconds from spawn to exit; throws on a non-zero exit. */
export function spawnMs(file: string, args: string[], env: NodeJS.ProcessEnv): { ms: number; stdout: string } {
  const t = process.hrtime.bigint();
  const r = spawnSync(file, args, { env, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${path.basename(file)} ${args.slice(0, 3).join(" ")} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

/**
 * PostgreSQL on a fresh `cp -a` copy of the (stopped) native data directory, from start to its
 * first answered query, through the same launcher clones use (direct `postgres`, polled over the
 * socket; no pg_ctl -w and its 100 ms poll). The copy is made before the clock starts.
 */
export async function pgStartOnCopyMs(native: NativeServer, workDir: string): Promise<number> {
  const copy = path.join(workDir, `floor-${process.hrtime.bigint()}`);
  await run("cp", ["-a", "--", native.dir, copy]);
  await fs.rm(path.join(copy, "run"), { recursive: true, force: true });
  // The copy's dirty pages (1.4 GB at scale 50) are written back before the clock starts: else
  // their writeback lands on whatever is timed next (this start, or the next `dbclone clone`'s fsyncs).
  await run("sync", []);
  const t = process.hrtime.bigint();
  const server = await native.engine.start(copy, { port: await freePort(), runDir: path.join(copy, "run"), durability: "ephemeral" }, silentReporter);
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  await native.engine.stop(server, { fast: true });
  await fs.rm(copy, { recursive: true, force: true });
  await run("sync", []);
  return ms;
}

export interface MsSummary {
  p50Ms: number;
  minMs: number;
  maxMs: number;
  samples: number[];
}

export function msSummary(xs: number[]): MsSummary {
  return { p50Ms: round(percentile(xs, 50), 1), minMs: round(Math.min(...xs), 1), maxMs: round(Math.max(...xs), 1), samples: xs.map((x) => round(x, 1)) };
}

/** `dbclone clone <ref> --disk <disk>` wall time, then its teardown (not timed). */
export function cliCloneMs(cli: string, env: NodeJS.ProcessEnv, ref: string, disk: string): number {
  const name = `wall-${disk}`;
  try {
    return spawnMs(process.execPath, [cli, "clone", ref, "--name", name, "--disk", disk, "--json"], env).ms;
  } finally {
    spawnSync(process.execPath, [cli, "teardown", "--name", name], { env, stdio: "ignore" });
  }
}

/** Samples the 1-minute load average every few seconds until stopped. */
export class LoadSampler {
  private readonly samples: number[] = [];
  private timer?: NodeJS.Timeout;

  start(everyMs = 5000): this {
    this.samples.push(os.loadavg()[0]!);
    this.timer = setInterval(() => this.samples.push(os.loadavg()[0]!), everyMs);
    this.timer.unref();
    return this;
  }

  stop(): { min: number; mean: number; max: number; samples: number } {
    clearInterval(this.timer);
    const xs = this.samples.length ? this.samples : [os.loadavg()[0]!];
    return { min: round(Math.min(...xs), 2), mean: round(xs.reduce((a, b) => a + b, 0) / xs.length, 2), max: round(Math.max(...xs), 2), samples: xs.length };
  }
}
