// `npm run bench -- mask [rows]`: masking 5 columns of ≥ 1 M rows (set-based, keyed, consistent)
// against a bare `UPDATE … SET col = md5(col)` of the same columns, in the same run on the same
// server; plus the leak scan's throughput. Writes bench/results/mask.json.
import { chmod, mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { findBinaries } from "../packages/core/src/engine/index.js";
import { startBuildServer, stopBuildServer } from "../packages/core/src/engine/index.js";
import { withAdmin } from "../packages/core/src/engine/index.js";
import { initDataDir } from "../packages/core/src/engine/index.js";
import { ADMIN_USER } from "../packages/core/src/engine/index.js";
import { applyMasking } from "../packages/core/src/engine/index.js";
import { schemaFacts } from "../packages/core/src/engine/index.js";
import { parsePolicy } from "../packages/core/src/masking/index.js";
import { resolvePolicy } from "../packages/core/src/masking/index.js";
import { emptyTally, scanBlob } from "../packages/core/src/masking/index.js";
import { silentReporter } from "../packages/core/src/reporter.js";
import type { DatabaseInfo } from "../packages/core/src/engine/index.js";

const rows = Number(process.argv[2] ?? 1_000_000);
const COLUMNS = ["first_name", "last_name", "email", "phone", "city"];
const key = Buffer.from("bench-key-not-a-secret-0123456789");

const CREATE = (t: string) => `
CREATE TABLE ${t} (id bigint PRIMARY KEY, first_name text, last_name text, email text UNIQUE, phone text, city text);
INSERT INTO ${t} SELECT g, 'First' || (g % 5000), 'Last' || (g % 20011), 'person.' || g || '@mail' || (g % 97) || '.example',
  '+1 555 ' || lpad((g % 9999991)::text, 7, '0'), 'City' || (g % 3001) FROM generate_series(1, ${rows}) g;`;

async function main(): Promise<void> {
  const bins = await findBinaries();
  const work = await mkdtemp(path.join(os.tmpdir(), "dbclone-bench-mask-"));
  await chmod(work, 0o755);
  const dataDir = path.join(work, "pgdata");
  await initDataDir(bins, dataDir, ADMIN_USER);
  const server = await startBuildServer(bins, dataDir, ADMIN_USER);
  try {
    await withAdmin(server, "postgres", (c) => c.query("CREATE DATABASE bench"));
    const q = (sql: string) => withAdmin(server, "bench", (c) => c.query(sql));
    console.log(`creating 2 tables of ${rows} rows…`);
    await q(CREATE("baseline"));
    await q(CREATE("people"));
    await q("VACUUM ANALYZE");

    const t0 = performance.now();
    await q(`UPDATE baseline SET ${COLUMNS.map((c) => `${c} = md5(${c})`).join(", ")}`);
    const md5Seconds = (performance.now() - t0) / 1000;
    console.log(`md5 UPDATE of ${COLUMNS.length} columns: ${md5Seconds.toFixed(2)} s`);

    const policy = parsePolicy(
      `databases:\n  bench:\n    tables:\n      people:\n        columns:\n          first_name: firstName\n          last_name: lastName\n          email: email\n          phone: phone\n          city: { transformer: address, part: city }\n`,
      "bench policy",
    );
    const withDb = <T>(db: string, fn: (c: import("pg").Client) => Promise<T>) => withAdmin(server, db, fn);
    const info: DatabaseInfo[] = [{ name: "bench", sizeBytes: 0, tables: [{ schema: "public", name: "people", rowEstimate: rows, sizeBytes: 0, columns: ["id", ...COLUMNS].map((name) => ({ name, type: name === "id" ? "bigint" : "text", nullable: true })) }] }];
    const resolved = resolvePolicy(policy, undefined, await schemaFacts(withDb, info));
    const t1 = performance.now();
    const run = await applyMasking({ withDb, policy: resolved, key, reporter: silentReporter });
    const maskSeconds = (performance.now() - t1) / 1000;
    console.log(`dbclone masking of ${COLUMNS.length} columns: ${maskSeconds.toFixed(2)} s (${Math.round(rows / maskSeconds)} rows/s), ${run.rowsChanged} rows`);

    // Leak scan throughput over the masked table's own data file (after a checkpoint).
    await q("CHECKPOINT");
    const rel = (await q("SELECT pg_relation_filepath('people') AS p")).rows[0].p as string;
    const scanStart = performance.now();
    const tally = emptyTally();
    await scanBlob(path.join(dataDir, rel), run.originals.patterns, tally);
    const seconds = (performance.now() - scanStart) / 1000;
    const scan = { bytesScanned: tally.bytesScanned, probes: run.originals.searched, hits: tally.unexplainedCount, seconds, mbPerSecond: tally.bytesScanned / 1048576 / seconds };
    console.log(`leak scan: ${scan.probes} values × 2 encodings over ${(scan.bytesScanned / 1048576).toFixed(0)} MB: ${scan.mbPerSecond.toFixed(0)} MB/s, ${scan.hits} hits (dead tuples still hold originals: no VACUUM FULL here)`);

    const result = {
      rows,
      columns: COLUMNS.length,
      md5UpdateSeconds: Number(md5Seconds.toFixed(3)),
      maskSeconds: Number(maskSeconds.toFixed(3)),
      maskRowsPerSecond: Math.round(rows / maskSeconds),
      ratioToMd5: Number((maskSeconds / md5Seconds).toFixed(2)),
      leakScan: { bytes: scan.bytesScanned, probes: scan.probes, seconds: Number(scan.seconds.toFixed(3)), mbPerSecond: Number(scan.mbPerSecond.toFixed(1)), hitsInUnvacuumedFile: scan.hits },
      machine: { cpus: os.cpus().length, node: process.version },
      measuredAt: new Date().toISOString(),
    };
    console.log(JSON.stringify(result, null, 2));
    await mkdir("bench/results", { recursive: true });
    await writeFile("bench/results/mask.json", `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await stopBuildServer(server);
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
