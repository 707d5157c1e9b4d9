// `npm run bench -- clone [--scales 5,50] [--clones 10] [--tps-seconds 10]`
// Clone-ready time and child disk size for pgbench databases of two sizes, against baselines
// measured in the same run: pg_restore into a fresh database, CREATE DATABASE … TEMPLATE …
// STRATEGY FILE_COPY, and pgbench TPS on a plain data directory on the host filesystem.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildImage } from "../packages/core/src/build/index.js";
import { createClone, teardownClones } from "../packages/core/src/clones/lifecycle.js";
import type { CloneResult } from "../packages/core/src/clones/lifecycle-types.js";
import type { Durability } from "../packages/core/src/engine/types.js";
import { findBinaries } from "../packages/core/src/engine/postgres/binaries.js";
import { silentReporter } from "../packages/core/src/reporter.js";
import { openRepository } from "../packages/core/src/repository/index.js";
import { run } from "../packages/core/src/runtime/exec.js";
import { NativeServer } from "./lib/source-server.js";
import { percentile, round, table } from "./lib/stats.js";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const scales = (args.get("scales") ?? "5,50").split(",").map(Number);
const cloneCount = Number(args.get("clones") ?? 10);
const tpsSeconds = Number(args.get("tps-seconds") ?? 10);
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
  const out = await run(bins.bin("pgbench"), ["-n", "-c", "2", "-j", "2", "-T", String(tpsSeconds), "-h", host, "-p", String(port), "-U", user, db], { env, timeoutMs: (tpsSeconds + 120) * 1000 });
  const m = /tps = ([\d.]+)/.exec(out.stdout);
  if (!m) throw new Error(`pgbench printed no tps:\n${out.stdout}`);
  return Number(m[1]);
}

/** Load every table and index of the bench database into shared buffers / the page cache. */
async function prewarm(socketDir: string, port: number, adminUser: string): Promise<void> {
  const bins = await findBinaries(15);
  const sql = "CREATE EXTENSION IF NOT EXISTS pg_prewarm; SELECT sum(pg_prewarm(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')";
  await run(bins.bin("psql"), ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", socketDir, "-p", String(port), "-U", adminUser, "-d", "bench", "-c", sql]);
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
    const build = await buildImage({ repository, name: "bench", version: `s${scale}`, sources: [{ kind: "dump", path: dump }], home, reporter , unmasked: { reason: "synthetic benchmark data" } });

    log(`scale ${scale}: ${cloneCount} clones …`);
    const ready: number[] = [];
    const teardown: number[] = [];
    const childBytes: number[] = [];
    for (let i = 0; i < cloneCount; i++) {
      const c = await createClone({ repository, ref: `bench:s${scale}`, home, reporter });
      ready.push(c.readySeconds);
      childBytes.push(c.childDiskBytes);
      const [, td] = await timed(() => teardownClones({ home, reporter, id: c.clone.id }));
      teardown.push(td);
    }

    log(`scale ${scale}: pgbench TPS, ${tpsSeconds} s each, cold then after pg_prewarm …`);
    const tps: Record<string, number> = {};
    for (const durability of ["ephemeral", "durable"] as Durability[]) {
      // Both sides over TCP with a password login, so only the storage differs. "cold" is right after
      // start (a fresh CI clone); "warm" after pg_prewarm of every table and index (a long-lived
      // per-branch clone), which takes the first-touch reads through the disk stack out.
      const s = await native.start(durability);
      const login = await native.engine.createLogin(s, ["bench"], { user: "bench_native", password: "bench-native-pw" });
      tps[`native_${durability}_cold`] = await pgbenchTps("127.0.0.1", s.port, login.user, login.password, "bench");
      await prewarm(s.socketDir!, s.port, s.adminUser);
      tps[`native_${durability}`] = await pgbenchTps("127.0.0.1", s.port, login.user, login.password, "bench");
      await native.stop();
      const c = await createClone({ repository, ref: `bench:s${scale}`, home, reporter, durability });
      live.push(c);
      tps[`clone_${durability}_cold`] = await pgbenchTps("127.0.0.1", c.credentials.port, c.credentials.user, c.credentials.password, "bench");
      await prewarm(path.join(c.clone.dir, "run"), c.credentials.port, "dbclone_admin");
      tps[`clone_${durability}`] = await pgbenchTps("127.0.0.1", c.credentials.port, c.credentials.user, c.credentials.password, "bench");
      await teardownClones({ home, reporter, id: c.clone.id });
      live.pop();
    }
    const p50 = percentile(ready, 50);
    return {
      scale,
      databaseBytes: dbBytes,
      dumpBytes: (await fs.stat(dump)).size,
      baseDiskBytes: build.image.manifest.disk.sizeBytes,
      buildSeconds: round(build.timings.totalSeconds, 2),
      cloneReady: { p50: round(p50), p95: round(percentile(ready, 95)), min: round(Math.min(...ready)), max: round(Math.max(...ready)), samples: ready.map((x) => round(x)) },
      teardownP50: round(percentile(teardown, 50)),
      childDiskBytesP50: percentile(childBytes, 50),
      baselines: { pgRestoreSeconds: round(restoreSeconds, 2), templateCopySeconds: round(templateSeconds, 2) },
      speedup: { vsPgRestore: round(restoreSeconds / p50, 1), vsTemplateCopy: round(templateSeconds / p50, 1) },
      tps: Object.fromEntries(Object.entries(tps).map(([k, v]) => [k, round(v, 1)])),
      tpsRatio: {
        ephemeral: round(tps.clone_ephemeral! / tps.native_ephemeral!, 3),
        durable: round(tps.clone_durable! / tps.native_durable!, 3),
        ephemeralCold: round(tps.clone_ephemeral_cold! / tps.native_ephemeral_cold!, 3),
        durableCold: round(tps.clone_durable_cold! / tps.native_durable_cold!, 3),
      },
    };
  } finally {
    for (const c of live) await teardownClones({ home, reporter, id: c.clone.id }).catch(() => undefined);
    await native.stop().catch(() => undefined);
  }
}

const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "dbclone-bench-clone-"));
  await fs.chmod(root, 0o711);
  try {
    const results = [];
    for (const scale of scales) results.push(await benchScale(root, scale));
    const big = results[results.length - 1]!;
    const small = results[0]!;
    const summary = { readyRatioBigVsSmall: round(big.cloneReady.p50 / small.cloneReady.p50, 2) };
    const rows: (string | number)[][] = [["scale", "db size", "base disk", "build s", "ready p50 s", "ready p95 s", "child disk", "pg_restore s", "template s", "x pg_restore", "x template", "TPS eph clone/native (warm)", "TPS dur clone/native (warm)", "cold eph", "cold dur"]];
    for (const r of results) {
      rows.push([r.scale, mb(r.databaseBytes), mb(r.baseDiskBytes), r.buildSeconds, r.cloneReady.p50, r.cloneReady.p95, mb(r.childDiskBytesP50), r.baselines.pgRestoreSeconds, r.baselines.templateCopySeconds, r.speedup.vsPgRestore, r.speedup.vsTemplateCopy, `${r.tps.clone_ephemeral}/${r.tps.native_ephemeral} = ${r.tpsRatio.ephemeral}`, `${r.tps.clone_durable}/${r.tps.native_durable} = ${r.tpsRatio.durable}`, r.tpsRatio.ephemeralCold, r.tpsRatio.durableCold]);
    }
    process.stdout.write(`${table(rows)}\nclone-ready p50, largest vs smallest: ${summary.readyRatioBigVsSmall}x\n`);
    await fs.mkdir("bench/results", { recursive: true });
    const out = { benchmark: "clone", when: new Date().toISOString(), machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) }, clones: cloneCount, tpsSeconds, results, summary };
    await fs.writeFile("bench/results/clone.json", `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench clone failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
