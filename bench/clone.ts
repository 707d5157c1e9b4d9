// `npm run bench -- clone [--scales 5,50] [--clones 10] [--wall-runs 9] [--tps-seconds 10] [--tps-rounds 3] [--drivers qcow2,reflink] [--baseline-cli <other dist/cli/index.cjs>] [--quick]`
// Clone-ready time and child disk size for pgbench databases of two sizes, per disk driver
// (qcow2 over FUSE, reflink copies in a local pool), against baselines measured in the same run:
// pg_restore into a fresh database, CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY, and pgbench
// TPS on a plain data directory on the host filesystem. "cold" runs start right after
// `echo 3 > /proc/sys/vm/drop_caches`; "warm" ones after pg_prewarm. Also the wall time of
// `dbclone clone` (the built CLI, dist/cli: run `npm run build` first) from process start to exit,
// interleaved with its floor (`node -e 0` + PostgreSQL started on a copy of the same data directory
// to its first answered query) and `dbclone --version`; the targets are checked at the end.
// Each TPS cell is measured in --tps-rounds interleaved rounds: its ratio is the median of the rounds'
// ratios, reported with their min and max. --quick: scales 2,8, 4 clones, 5 wall runs, 5 s of
// pgbench, 2 rounds.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildImage } from "../packages/core/src/build/index.js";
import { createClone, teardownClones } from "../packages/core/src/clones/index.js";
import type { CloneResult } from "../packages/core/src/clones/index.js";
import type { Durability } from "../packages/core/src/engine/index.js";
import { findBinaries } from "../packages/core/src/engine/index.js";
import { silentReporter } from "../packages/core/src/reporter.js";
import { openRepository } from "../packages/core/src/repository/index.js";
import { ReflinkDriver } from "../packages/core/src/disk/index.js";
import { run } from "../packages/core/src/runtime/index.js";
import { NativeServer } from "./lib/source-server.js";
import { percentile, round } from "./lib/stats.js";
import { LoadSampler, cliCloneMs, msSummary, pgStartOnCopyMs, spawnMs, type MsSummary } from "./lib/wall.js";
import { medians, tpsSummary, type RatioSpread } from "./lib/tps-rounds.js";
import { printReport } from "./lib/clone-report.js";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const key = process.argv[i]!.replace(/^--/, "");
  if (key === "quick") args.set(key, "true");
  else args.set(key, process.argv[++i] ?? "");
}
const quick = args.has("quick");
const scales = (args.get("scales") ?? (quick ? "2,8" : "5,50")).split(",").map(Number);
const cloneCount = Number(args.get("clones") ?? (quick ? 4 : 10));
const tpsSeconds = Number(args.get("tps-seconds") ?? (quick ? 5 : 10));
const drivers = (args.get("drivers") ?? "qcow2,reflink").split(",") as Disk[];
const wallRuns = Number(args.get("wall-runs") ?? (quick ? 5 : 9));
const tpsRounds = Number(args.get("tps-rounds") ?? (quick ? 2 : 3));
const cli = path.resolve("dist/cli/index.cjs");
const baselineCli = args.get("baseline-cli") ? path.resolve(args.get("baseline-cli")!) : undefined;
type Disk = "qcow2" | "reflink";
const reporter = silentReporter;
const log = (s: string) => process.stderr.write(`${s}\n`);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const value = await fn();
  return [value, (performance.now() - t) / 1000];
}

async function pgbenchTps(host: string, port: number, user: string, password: string | undefined, db: string): Promise<number> {
  const bins = await findBinaries(15);
  const env = { ...process.env, ...(password ? { PGPASSWORD: password } : {}) };
  const out = await run(bins.bin("pgbench"), ["-n", "-c", "2", "-j", "2", "-T", String(tpsSeconds), "-h", host, "-p", String(port), "-U", user, db], {
    env,
    timeoutMs: (tpsSeconds + 120) * 1000,
  });
  const m = /tps = ([\d.]+)/.exec(out.stdout);
  if (!m) throw new Error(`pgbench printed no tps:\n${out.stdout}`);
  return Number(m[1]);
}

/** Load every table and index of the bench database into shared buffers / the page cache. */
async function prewarm(socketDir: string, port: number, adminUser: string): Promise<void> {
  const bins = await findBinaries(15);
  const sql =
    "CREATE EXTENSION IF NOT EXISTS pg_prewarm; SELECT sum(pg_prewarm(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')";
  await run(bins.bin("psql"), ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", socketDir, "-p", String(port), "-U", adminUser, "-d", "bench", "-c", sql]);
}

interface DriverResult {
  firstCloneSeconds: number;
  cloneReady: ReturnType<typeof summary>;
  teardownP50: number;
  childDiskBytesP50: number;
  /** `dbclone clone` from process start to exit. */
  cliWall?: MsSummary;
  /** Median TPS over the rounds, per cell (ephemeral_cold, ephemeral, durable_cold, durable). */
  tps: Record<string, number>;
  /** Median over the rounds of each round's TPS / native TPS. */
  tpsRatio?: Record<string, number>;
  /** Each cell's per-round ratios, with their min and max. */
  tpsRatioSpread?: Record<string, RatioSpread>;
}

function summary(xs: number[]) {
  return {
    p50: round(percentile(xs, 50)),
    p95: round(percentile(xs, 95)),
    min: round(Math.min(...xs)),
    max: round(Math.max(...xs)),
    samples: xs.map((x) => round(x)),
  };
}

/** Cold runs start with an empty page cache. */
async function dropCaches(): Promise<void> {
  await run("sync", []);
  await fs.writeFile("/proc/sys/vm/drop_caches", "3\n");
}

async function benchScale(root: string, scale: number) {
  const dir = path.join(root, `s${scale}`);
  await fs.mkdir(dir, { recursive: true, mode: 0o711 });
  const native = new NativeServer(path.join(dir, "native"));
  const home = path.join(dir, "home");
  const repository = await openRepository(path.join(dir, "repository"), { cacheDir: path.join(home, "cache") });
  const live: CloneResult[] = [];
  try {
    log(`scale ${scale}: pgbench -i …`);
    await native.create("bench");
    await native.start("ephemeral");
    await native.client("pgbench", ["-i", "-q", "-s", String(scale), "bench"]);
    const dbBytes = Number(await native.psql("bench", "SELECT pg_database_size('bench')"));
    const dump = path.join(dir, "bench.dump");
    await native.client("pg_dump", ["-Fc", "-f", dump, "bench"]);

    log(`scale ${scale}: baselines (pg_restore, template copy) …`);
    await native.psql("postgres", "CREATE DATABASE restored");
    const [, restoreSeconds] = await timed(() => native.client("pg_restore", ["-j", "2", "-d", "restored", dump]));
    await native.psql("postgres", "CHECKPOINT");
    const [, templateSeconds] = await timed(() => native.psql("postgres", "CREATE DATABASE copied TEMPLATE bench STRATEGY FILE_COPY"));
    await native.psql("postgres", "DROP DATABASE restored");
    await native.psql("postgres", "DROP DATABASE copied");

    log(`scale ${scale}: build image …`);
    const build = await buildImage({
      repository,
      name: "bench",
      version: `s${scale}`,
      sources: [{ kind: "dump", path: dump }],
      home,
      reporter,
      unmasked: { reason: "synthetic benchmark data" },
    });

    const perDriver: Record<string, DriverResult> = {};
    for (const disk of drivers) {
      log(`scale ${scale}: ${disk}: ${cloneCount} clones …`);
      const ready: number[] = [];
      const teardown: number[] = [];
      const childBytes: number[] = [];
      let firstSeconds = 0;
      for (let i = 0; i < cloneCount + 1; i++) {
        const c = await createClone({ repository, ref: `bench:s${scale}`, home, reporter, disk });
        // The first reflink clone of a version also expands it into the pool: reported apart.
        if (i === 0) firstSeconds = c.readySeconds;
        else {
          ready.push(c.readySeconds);
          childBytes.push(c.childDiskBytes ?? 0);
        }
        const [, td] = await timed(() => teardownClones({ home, reporter, id: c.clone.id }));
        if (i > 0) teardown.push(td);
      }
      perDriver[disk] = {
        firstCloneSeconds: round(firstSeconds, 2),
        cloneReady: summary(ready),
        teardownP50: round(percentile(teardown, 50)),
        childDiskBytesP50: percentile(childBytes, 50),
        tps: {},
      };
    }

    log(`scale ${scale}: wall time of dbclone clone, interleaved with its floor and --version (${wallRuns} runs) …`);
    await native.stop();
    const env = { ...process.env, DBCLONE_HOME: home, DBCLONE_REPO: path.join(dir, "repository"), DBCLONE_CACHE_DIR: path.join(home, "cache") };
    const walls: Record<string, number[]> = { node: [], version: [], pgStart: [], baselineCli: [], ...Object.fromEntries(drivers.map((d) => [d, []])) };
    // One uncounted warm-up round (page cache, the pool mounted), then interleaved rounds.
    for (let i = -1; i < wallRuns; i++) {
      const sample: Record<string, number> = {
        node: spawnMs(process.execPath, ["-e", "0"], env).ms,
        version: spawnMs(process.execPath, [cli, "--version"], env).ms,
        pgStart: await pgStartOnCopyMs(native, dir),
      };
      for (const disk of drivers) sample[disk] = cliCloneMs(cli, env, `bench:s${scale}`, disk);
      if (baselineCli) sample.baselineCli = cliCloneMs(baselineCli, env, `bench:s${scale}`, drivers[drivers.length - 1]!);
      if (i >= 0) for (const [k, v] of Object.entries(sample)) walls[k]!.push(v);
    }
    for (const disk of drivers) perDriver[disk]!.cliWall = msSummary(walls[disk]!);
    const floorP50 = percentile(walls.node!, 50) + percentile(walls.pgStart!, 50);
    const wall = {
      node: msSummary(walls.node!),
      version: msSummary(walls.version!),
      pgStartOnCopy: msSummary(walls.pgStart!),
      floorP50Ms: round(floorP50, 1),
      // Another build of the CLI (e.g. main's dist/cli), same rounds, the last driver: a before/after in one run.
      ...(baselineCli ? { baselineCli: { path: baselineCli, disk: drivers[drivers.length - 1]!, ...msSummary(walls.baselineCli!) } } : {}),
    };

    log(`scale ${scale}: pgbench TPS, ${tpsSeconds} s each, cold (caches dropped) then after pg_prewarm, ${tpsRounds} interleaved rounds …`);
    // Every round measures each cell once (native, then each driver), so the ratio of a round compares
    // runs minutes apart at most; the median over rounds and its spread decide, not one pair of runs.
    const samples: Record<string, Record<string, number[]>> = { native: {}, ...Object.fromEntries(drivers.map((d) => [d, {}])) };
    const add = (who: string, key: string, tps: number) => {
      samples[who]![key] = [...(samples[who]![key] ?? []), tps];
    };
    for (let round = 0; round < tpsRounds; round++) {
      for (const durability of ["ephemeral", "durable"] as Durability[]) {
        // Both sides over TCP with a password login, so only the storage differs. "cold" is right after
        // start with the page cache dropped (a fresh CI clone); "warm" after pg_prewarm of every table
        // and index (a long-lived per-branch clone).
        await native.stop();
        await dropCaches();
        const s = await native.start(durability);
        const login = await native.engine.createLogin(s, ["bench"], { user: "bench_native", password: "bench-native-pw" });
        add("native", `${durability}_cold`, await pgbenchTps("127.0.0.1", s.port, login.user, login.password, "bench"));
        await prewarm(s.socketDir!, s.port, s.adminUser);
        add("native", durability, await pgbenchTps("127.0.0.1", s.port, login.user, login.password, "bench"));
        await native.stop();
        for (const disk of drivers) {
          const c = await createClone({ repository, ref: `bench:s${scale}`, home, reporter, durability, disk });
          live.push(c);
          await dropCaches();
          add(disk, `${durability}_cold`, await pgbenchTps("127.0.0.1", c.credentials.port, c.credentials.user, c.credentials.password, "bench"));
          await prewarm(path.join(c.clone.dir, "run"), c.credentials.port, "dbclone_admin");
          add(disk, durability, await pgbenchTps("127.0.0.1", c.credentials.port, c.credentials.user, c.credentials.password, "bench"));
          await teardownClones({ home, reporter, id: c.clone.id });
          live.pop();
        }
      }
    }
    const nativeTps = medians(samples.native!);
    for (const disk of drivers) Object.assign(perDriver[disk]!, tpsSummary(samples[disk]!, samples.native!));
    const fastest = Math.min(...Object.values(perDriver).map((d) => d.cloneReady.p50));
    return {
      scale,
      databaseBytes: dbBytes,
      dumpBytes: (await fs.stat(dump)).size,
      baseDiskBytes: build.image.manifest.disk.sizeBytes,
      buildSeconds: round(build.timings.totalSeconds, 2),
      baselines: { pgRestoreSeconds: round(restoreSeconds, 2), templateCopySeconds: round(templateSeconds, 2) },
      speedup: { vsPgRestore: round(restoreSeconds / fastest, 1), vsTemplateCopy: round(templateSeconds / fastest, 1) },
      nativeTps,
      wall,
      drivers: perDriver,
    };
  } finally {
    for (const c of live) await teardownClones({ home, reporter, id: c.clone.id }).catch(() => undefined);
    await native.stop().catch(() => undefined);
    // The reflink pool file and its loop mount go with the bench's home.
    await new ReflinkDriver({ home, stateDir: path.join(home, "state") })
      .removePool()
      .catch((e: Error) => log(`could not remove the reflink pool: ${e.message}`));
  }
}

export type ScaleResult = Awaited<ReturnType<typeof benchScale>>;

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "dbclone-bench-clone-"));
  await fs.chmod(root, 0o711);
  await fs.access(cli).catch(() => {
    throw new Error(`${cli} is missing: run npm run build first (the wall time is the built CLI's)`);
  });
  const load = new LoadSampler().start();
  try {
    const results: ScaleResult[] = [];
    for (const scale of scales) results.push(await benchScale(root, scale));
    const loadAverage = load.stop();
    const summaryOut = printReport(results, drivers, loadAverage);
    await fs.mkdir("bench/results", { recursive: true });
    const machine = { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), loadAverage };
    const out = {
      benchmark: "clone",
      when: new Date().toISOString(),
      machine,
      clones: cloneCount,
      wallRuns,
      tpsSeconds,
      tpsRounds,
      drivers,
      results,
      summary: summaryOut,
    };
    await fs.writeFile("bench/results/clone.json", `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    load.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench clone failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
