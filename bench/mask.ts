// `npm run bench -- mask [rows…]` (default: 1000000 10000000): per size, in one run on one server,
// dbclone's streamed masking of customers (unique email, first/last name, phone, street, birth
// date) and orders (email, a foreign key to customers) against a bare md5 UPDATE of the same
// columns on an identical copy; the mapping alone (worker pool, no SQL); then the leak scan's
// memory-bounded half of a build (published data read once and matched in one pass against all originals, the masked
// database's data files scanned, after the scrub's VACUUM FULL); the Node process's peak RSS per
// phase; the load average. Writes bench/results/mask.json.
import { chmod, mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { maskingFor } from "../packages/core/src/build/index.js";
import { ADMIN_USER, findBinaries, initDataDir, PostgresEngine, startBuildServer, stopBuildServer, withAdmin } from "../packages/core/src/engine/index.js";
import { defaultJobs, parsePolicy, prepareLeakScan, resolvePolicy, scanDataFilesForLeaks, startMappingPool } from "../packages/core/src/masking/index.js";
import { silentReporter, type Reporter } from "../packages/core/src/reporter.js";

// `--mask-only`: skip the leak-scan phase (the published data matched and the data files scanned).
const maskOnly = process.argv.includes("--mask-only");
// `--trace`: print the masking's info lines with the seconds since the run started (where the time goes).
const t0 = performance.now();
const stamp = () => `[${((performance.now() - t0) / 1000).toFixed(1)} s, ${(process.memoryUsage.rss() / 1048576).toFixed(0)} MB RSS]`;
const traceReporter: Reporter = {
  ...silentReporter,
  info: (m) => console.log(`${stamp()} ${m}`),
  debug: (m) => console.log(`${stamp()} ${m}`),
};
const reporter = process.argv.includes("--trace") ? traceReporter : silentReporter;
// The leak scan's steps are always printed (with the time since the start and the RSS): a long run shows where it is.
const leakReporter: Reporter = { ...traceReporter, debug: reporter.debug };
// `--no-md5`: skip the md5 baseline (e.g. a second run for the leak scan's time only); no ratio then.
const withMd5 = !process.argv.includes("--no-md5");
// `--explain`: auto_explain (ANALYZE, BUFFERS, no timing) logs the plan of every statement of the
// bench database over 5 s; the masking UPDATEs' hash joins (Batches > 1 spills) are printed after masking.
const explain = process.argv.includes("--explain");
const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const sizes = (args.length ? args : ["1000000", "10000000"]).map(Number);
const key = Buffer.from("bench-key-not-a-secret-0123456789");
const jobs = defaultJobs();

const CREATE = (s: string, rows: number) => `
CREATE SCHEMA ${s};
CREATE TABLE ${s}.customers (id bigint PRIMARY KEY, email text UNIQUE NOT NULL, first_name text, last_name text, phone text, street text, birth_date date);
INSERT INTO ${s}.customers SELECT g, 'person.' || g || '@mail' || (g % 97) || '.example', 'First' || (g % 5000), 'Last' || (g % 20011),
  '+1 555 ' || lpad((g % 9999991)::text, 7, '0'), g || ' Main Street', date '1950-01-01' + (g % 20000) FROM generate_series(1, ${rows}) g;
CREATE TABLE ${s}.orders (id bigint PRIMARY KEY, customer_email text NOT NULL REFERENCES ${s}.customers (email), amount int);
INSERT INTO ${s}.orders SELECT g, 'person.' || (1 + g % ${rows}) || '@mail' || ((1 + g % ${rows}) % 97) || '.example', g % 1000 FROM generate_series(1, ${rows}) g;`;

const POLICY = (s: string) => `databases:
  bench:
    tables:
      ${s}.customers:
        columns:
          email: email
          first_name: firstName
          last_name: lastName
          phone: phone
          street: { transformer: address, part: street }
          birth_date: { transformer: dateShift, days: 60 }
`;

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds of the server: the postmaster's reaped backends (cutime + cstime) plus its live children. */
async function serverCpuSeconds(dataDir: string): Promise<number> {
  const stat = async (pid: string) => (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  const postmaster = (await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]!;
  const own = await stat(postmaster);
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]); // utime stime cutime cstime
  for (const pid of (await readFile(`/proc/${postmaster}/task/${postmaster}/children`, "utf8")).trim().split(/\s+/).filter(Boolean)) {
    const f = await stat(pid).catch(() => undefined);
    if (f) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / TICKS;
}

/** The kernel's peak RSS of this process (VmHWM), in MB. */
async function vmHwmMb(): Promise<number> {
  const m = /VmHWM:\s+(\d+) kB/.exec(await readFile("/proc/self/status", "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
}

/** Restart VmHWM from the current RSS (false: refused; VmHWM then counts from the process's start). */
async function resetVmHwm(): Promise<boolean> {
  return writeFile("/proc/self/clear_refs", "5").then(
    () => true,
    () => false,
  );
}

/**
 * Peak RSS of this process (all threads) while `fn` runs: sampled every 100 ms (peakRssMb; a
 * sampler cannot run while the leak scan works synchronously) and the kernel's VmHWM, reset
 * before `fn` (vmHwmMb: every byte, also between samples); CPU seconds of this process and of the server.
 */
async function measured<T>(
  dataDir: string,
  fn: () => Promise<T>,
): Promise<{ value: T; seconds: number; peakRssMb: number; vmHwmMb: number; vmHwmSinceStart: boolean; nodeCpuSeconds: number; serverCpuSeconds: number }> {
  const reset = await resetVmHwm();
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
  const t0 = performance.now();
  const [cpu0, server0] = [process.cpuUsage(), await serverCpuSeconds(dataDir)];
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    const cpu = process.cpuUsage(cpu0);
    return {
      value,
      seconds: (performance.now() - t0) / 1000,
      peakRssMb: Math.round(peak / 1048576),
      vmHwmMb: await vmHwmMb(),
      vmHwmSinceStart: !reset,
      nodeCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)),
      serverCpuSeconds: Number(((await serverCpuSeconds(dataDir)) - server0).toFixed(1)),
    };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const bins = await findBinaries();
  const work = await mkdtemp(path.join(os.tmpdir(), "dbclone-bench-mask-"));
  await chmod(work, 0o755);
  const dataDir = path.join(work, "pgdata");
  await initDataDir(bins, dataDir, ADMIN_USER);
  const server = await startBuildServer(bins, dataDir, ADMIN_USER);
  const running = { ...server, host: "" };
  const withDb = <T>(db: string, fn: (c: pg.Client) => Promise<T>) => withAdmin(server, db, fn);
  const results = [];
  try {
    await withDb("postgres", (c) => c.query("CREATE DATABASE bench"));
    const q = (sql: string) => withDb("bench", (c) => c.query(sql));
    // The mapping alone (no SQL): 200 000 emails on one worker and on all.
    const sample = Array.from({ length: 200_000 }, (_, i) => `person.${i}@mail${i % 97}.example`);
    const mapping: Record<string, number> = {};
    for (const n of [1, jobs]) {
      const pool = await startMappingPool(key, n);
      const t = performance.now();
      await pool.map("email", { transformer: "email" } as never, sample);
      mapping[`workers${n}ValuesPerSecond`] = Math.round(sample.length / ((performance.now() - t) / 1000));
      await pool.close();
    }
    console.log(`mapping alone (email): ${JSON.stringify(mapping)}`);

    for (const rows of sizes) {
      const [base, masked] = [`md5_${rows}`, `mask_${rows}`];
      console.log(`creating customers + orders of ${rows} rows, twice…`);
      if (withMd5) await q(CREATE(base, rows));
      await q(CREATE(masked, rows));
      await q("VACUUM ANALYZE");
      const loadBefore = os.loadavg();
      const md5 = !withMd5
        ? undefined
        : await measured(dataDir, () =>
            withDb("bench", async (c) => {
              await c.query("SET session_replication_role = replica");
              await c.query(
                `UPDATE ${base}.customers SET email = md5(email), first_name = md5(first_name), last_name = md5(last_name), phone = md5(phone), ` +
                  "street = md5(street), birth_date = birth_date + (hashtext(birth_date::text) % 60)",
              );
              await c.query(`UPDATE ${base}.orders SET customer_email = md5(customer_email)`);
            }),
          );
      if (md5) console.log(`md5 UPDATE: ${md5.seconds.toFixed(1)} s, CPU s node ${md5.nodeCpuSeconds} + server ${md5.serverCpuSeconds}`);
      const target = maskingFor("postgres", running);
      const resolved = resolvePolicy(
        parsePolicy(POLICY(masked), "bench policy"),
        undefined,
        await target.schemaFacts(await new PostgresEngine().inventory(running)),
      );
      if (explain) {
        for (const setting of [
          "session_preload_libraries = 'auto_explain'",
          "auto_explain.log_min_duration = '5s'",
          "auto_explain.log_analyze = on",
          "auto_explain.log_buffers = on",
          "auto_explain.log_timing = off",
        ])
          await q(`ALTER DATABASE bench SET ${setting}`);
      }
      // The originals' spill under the bench's directory, as a build puts it under its work directory.
      const mask = await measured(dataDir, () => target.mask(resolved, key, reporter, { jobs, tempDir: work }));
      if (explain) {
        const log = await readFile(server.logFile, "utf8");
        const plans = log.split("\n").filter((l) => /duration:|Hash Join|Hash {2}|Buckets|Update on|Seq Scan|Buffers|temp/.test(l));
        console.log(plans.slice(-400).join("\n"));
        await q("ALTER DATABASE bench RESET ALL");
      }
      const run = mask.value;
      // Printed before the leak scan, so a stopped long run keeps what it measured.
      console.log(
        `dbclone masking: ${mask.seconds.toFixed(1)} s (mapping ${run.mapSeconds?.toFixed(1)} s, UPDATE ${run.updateSeconds?.toFixed(1)} s), ` +
          `peak RSS ${mask.peakRssMb} MB (VmHWM ${mask.vmHwmMb} MB), CPU s node ${mask.nodeCpuSeconds} + server ${mask.serverCpuSeconds}, load ${os
            .loadavg()
            .map((l) => l.toFixed(1))
            .join(" ")}`,
      );
      // The leak scan as a build runs it: the md5 copy gone, the masked tables rewritten (scrub),
      // the published data read once and matched in one pass, the database's data files scanned once.
      if (withMd5) await q(`DROP SCHEMA ${base} CASCADE`);
      if (!maskOnly) {
        await q(`VACUUM FULL ${masked}.customers`);
        await q(`VACUUM FULL ${masked}.orders`);
        await q("CHECKPOINT");
      }
      const oid = (await q("SELECT oid FROM pg_database WHERE datname = 'bench'")).rows[0].oid as number;
      const leak = maskOnly
        ? undefined
        : await measured(dataDir, async () => {
            const t = performance.now();
            const prepared = await prepareLeakScan(target, resolved, run.originals, leakReporter, { tempDir: work });
            console.log(
              `leak scan: published data read and matched (${run.originals.batchCount} batch(es) of originals), ${((performance.now() - t) / 1000).toFixed(1)} s`,
            );
            await scanDataFilesForLeaks(path.join(dataDir, "base", String(oid)), prepared);
            console.log(`leak scan: data files scanned, ${((performance.now() - t) / 1000).toFixed(1)} s in all, VmHWM ${await vmHwmMb()} MB`);
            return prepared;
          });
      run.originals.dispose();
      const result = {
        rows,
        tables: "customers (unique email, first_name, last_name, phone, street, birth_date) + orders (customer_email → customers.email)",
        md5UpdateSeconds: md5 ? Number(md5.seconds.toFixed(2)) : null,
        maskSeconds: Number(mask.seconds.toFixed(2)),
        ratioToMd5: md5 ? Number((mask.seconds / md5.seconds).toFixed(2)) : null,
        mapSeconds: Number((run.mapSeconds ?? 0).toFixed(2)),
        updateSeconds: Number((run.updateSeconds ?? 0).toFixed(2)),
        distinctValuesMapped: run.distinctValues,
        originalsSearched: run.originals.searched,
        rowsChanged: run.rowsChanged,
        rowsPerSecondPerCore: Math.round(rows / mask.seconds / jobs),
        // CPU, less sensitive to other load on the machine than wall time: this process (main +
        // mapping workers) and the server's backends, for the md5 UPDATE and for dbclone.
        cpuSeconds: {
          md5: md5 ? { node: md5.nodeCpuSeconds, server: md5.serverCpuSeconds } : null,
          dbclone: { node: mask.nodeCpuSeconds, server: mask.serverCpuSeconds },
        },
        peakRssMb: mask.peakRssMb,
        vmHwmMb: mask.vmHwmMb,
        leakScan: leak
          ? {
              batches: run.originals.batchCount,
              seconds: Number(leak.seconds.toFixed(2)),
              peakRssMb: leak.peakRssMb,
              vmHwmMb: leak.vmHwmMb,
              vmHwmSinceStart: leak.vmHwmSinceStart,
              publishedValuesRead: leak.value.publishedValuesRead,
              bytesScanned: leak.value.files.bytesScanned,
              matches: leak.value.files.hits,
              ...(leak.value.onePass ? { onePass: leak.value.onePass } : {}),
            }
          : { batches: run.originals.batchCount, skipped: "--mask-only" },
        loadAverage: { before: loadBefore.map((l) => Number(l.toFixed(1))), after: os.loadavg().map((l) => Number(l.toFixed(1))) },
      };
      console.log(JSON.stringify(result));
      results.push(result);
      // Written after every size, so a long run stopped later keeps what it measured.
      await mkdir("bench/results", { recursive: true });
      await writeFile(
        "bench/results/mask.json",
        `${JSON.stringify({ jobs, mapping, results, machine: { cpus: os.cpus().length, node: process.version }, measuredAt: new Date().toISOString() }, null, 2)}\n`,
      );
      await q(`DROP SCHEMA ${masked} CASCADE`);
      await q("CHECKPOINT");
    }
    console.log(JSON.stringify({ jobs, mapping, results }, null, 2));
  } finally {
    await stopBuildServer(server);
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
