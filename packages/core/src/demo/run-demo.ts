// `npm run demo`: a sample database → an image → two clones → isolation shown → teardown,
// with timings and storage, leaving nothing behind. Uses a private home and repository
// under the system temp dir unless told otherwise.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { buildImage } from "../build/index.js";
import { allCloneDiskDrivers } from "../platform/index.js";
import { ReflinkDriver } from "../disk/index.js";
import { createSampleDump, SAMPLE_SHOP_POLICY } from "../engine/index.js";
import type { Reporter } from "../reporter.js";
import { openRepository } from "../repository/index.js";
import { createClone, teardownClones } from "../clones/index.js";
import type { CloneResult } from "../clones/lifecycle-types.js";
import { secondsSince } from "../util/time.js";
import { parsePolicy } from "../masking/policy/load-policy.js";
import type { LeakScanResult } from "../masking/build-step.js";

/** A fixed key so the demo's pseudonyms are reproducible. It is printed: it is NOT a secret. */
export const DEMO_MASKING_KEY = "dbclone-demo-key-not-a-secret";

export interface DemoOptions {
  sizeMb: number;
  reporter: Reporter;
  /** Where to print the demo's own story (default: stdout). */
  print?: (line: string) => void;
  /** Use this home/repository instead of fresh temporary ones (kept afterwards). */
  home?: string;
  repo?: string;
}

export interface DemoReport {
  sampleMb: number;
  buildSeconds: number;
  cloneReadySeconds: number[];
  teardownSeconds: number;
  baseBytes: number;
  childBytes: number[];
  isolated: boolean;
  leftovers: string[];
  masking?: { columns: number; rowsChanged: number; maskSeconds: number; leakScan: LeakScanResult };
}

export async function runDemo(opts: DemoOptions): Promise<DemoReport> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "dbclone-demo-"));
  // The database server runs as its own OS user and must traverse to the mounts inside.
  await fs.chmod(tmp, 0o711);
  const home = opts.home ?? path.join(tmp, "home");
  const repository = await openRepository(opts.repo ?? path.join(tmp, "repository"));
  const clones: CloneResult[] = [];
  try {
    print(`1. Making a sample shop database of about ${opts.sizeMb} MB (customers, products, orders)…`);
    const dumpStart = performance.now();
    const dump = path.join(tmp, "shop.dump");
    await createSampleDump(dump, { sizeMb: opts.sizeMb, seed: 42, reporter: opts.reporter });
    print(`   pg_dump written in ${secondsSince(dumpStart).toFixed(1)} s (${mb((await fs.stat(dump)).size)})`);

    print("2. Building image demo/shop:v1 (restore → mask → VACUUM FULL → fresh base disk → leak scan → publish)…");
    print(`   masking customers' names, emails, phones, addresses and birth dates with the demo key "${DEMO_MASKING_KEY}" (demo key, not a secret)`);
    const policy = parsePolicy(SAMPLE_SHOP_POLICY, "demo policy");
    const build = await buildImage({
      repository,
      name: "demo/shop",
      version: "v1",
      sources: [{ kind: "dump", path: dump }],
      home,
      reporter: opts.reporter,
      masking: { policy, key: { bytes: Buffer.from(DEMO_MASKING_KEY), insecure: true }, preview: { database: "shop", schema: "public", table: "customers" } },
    });
    const manifest = build.image.manifest;
    print(
      `   built in ${build.timings.totalSeconds.toFixed(1)} s; image ${build.image.manifestDigest.slice(0, 19)}…, base disk ${mb(manifest.disk.sizeBytes)}`,
    );
    const masking = build.masking!;
    printPreview(print, masking.preview);
    const leak = masking.leakScan;
    print(`   masked ${masking.columns} columns in ${masking.rowsChanged} rows (${masking.maskSeconds.toFixed(1)} s)`);
    print(`   leak scan: ${leakScanLine(leak)}`);
    for (const c of leak.copies) print(`     copy ${c.verdict}: ${c.column} holds ${c.originals} value(s) of masked ${c.source}`);

    print("3. Making two clones…");
    for (const name of ["alice", "bob"]) {
      const clone = await createClone({ repository, ref: "demo/shop:v1", home, reporter: opts.reporter, name: `demo-${name}`, ttlSeconds: 3600 });
      clones.push(clone);
      print(`   clone ${clone.clone.id} (${name}) ready in ${clone.readySeconds.toFixed(3)} s on port ${clone.credentials.port}`);
    }

    print("4. Isolation: alice deletes every order; bob still sees them.");
    const [alice, bob] = clones as [CloneResult, CloneResult];
    const before = await countOrders(bob);
    await query(alice, "DELETE FROM order_items");
    await query(alice, "DELETE FROM orders");
    const aliceAfter = await countOrders(alice);
    const bobAfter = await countOrders(bob);
    const isolated = aliceAfter === 0 && bobAfter === before && before > 0;
    print(`   orders: alice ${aliceAfter}, bob ${bobAfter} (was ${before}) → ${isolated ? "isolated" : "NOT ISOLATED"}`);

    const childBytes: number[] = [];
    // What each clone's disk holds of its own, as its driver measures it (a reflink copy shares the rest).
    for (const c of clones) childBytes.push(c.childDiskBytes ?? 0);
    const cloneReadySeconds = clones.map((c) => c.readySeconds);

    print("5. Tearing down…");
    const tdStart = performance.now();
    for (const c of clones.splice(0)) await teardownClones({ home, reporter: opts.reporter, id: c.clone.id, repository });
    const teardownSeconds = secondsSince(tdStart);
    const leftovers = (await Promise.all(allCloneDiskDrivers(home).map((d) => d.list(path.join(home, "clones"))))).flat().map((r) => `${r.kind} ${r.id}`);

    const report: DemoReport = {
      sampleMb: opts.sizeMb,
      buildSeconds: build.timings.totalSeconds,
      cloneReadySeconds,
      teardownSeconds,
      baseBytes: manifest.disk.sizeBytes,
      childBytes,
      isolated,
      leftovers,
      masking: { columns: masking.columns, rowsChanged: masking.rowsChanged, maskSeconds: masking.maskSeconds, leakScan: leak },
    };
    printSummary(print, report);
    return report;
  } finally {
    for (const c of clones) await teardownClones({ home, reporter: opts.reporter, id: c.clone.id, repository }).catch(() => undefined);
    if (!opts.home) {
      // The private home's reflink pool (its loop-mounted pool file) goes with it.
      await new ReflinkDriver({ home, stateDir: path.join(home, "state") })
        .removePool()
        .catch((e: Error) => opts.reporter.warn(`could not remove the demo's reflink pool: ${e.message}`));
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }
}

function printSummary(print: (line: string) => void, r: DemoReport): void {
  print("");
  print("Summary");
  print(`  build (restore + fresh base + publish)   ${r.buildSeconds.toFixed(2)} s`);
  print(`  clone ready                              ${r.cloneReadySeconds.map((s) => `${s.toFixed(3)} s`).join(", ")}`);
  print(`  teardown (both clones)                   ${r.teardownSeconds.toFixed(3)} s`);
  print(`  base disk                                ${mb(r.baseBytes)}`);
  print(`  child disks                              ${r.childBytes.map(mb).join(", ")}`);
  print(`  isolation                                ${r.isolated ? "yes" : "NO"}`);
  if (r.masking)
    print(
      `  masking / leak scan                      ${r.masking.columns} columns, ${r.masking.maskSeconds.toFixed(1)} s / ${r.masking.leakScan.hits} hits in ${mb(r.masking.leakScan.bytesScanned)}`,
    );
  print(`  left behind                              ${r.leftovers.length ? r.leftovers.join(", ") : "nothing"}`);
}

function printPreview(
  print: (line: string) => void,
  preview: { table: string; before: Record<string, string | null>; after?: Record<string, string | null> } | undefined,
): void {
  if (!preview?.after) return;
  print(`   one row of ${preview.table}, before → after masking:`);
  for (const [column, before] of Object.entries(preview.before)) {
    const after = preview.after[column] ?? null;
    if (column === "created_at") continue;
    print(`     ${column.padEnd(12)} ${String(before).padEnd(34)} ${before === after ? "(unchanged)" : `→ ${after}`}`);
  }
}

/** Values searched / hits the published data explains / residue: the three numbers a reader checks. */
export function leakScanLine(l: LeakScanResult): string {
  const legit = l.matches ?? 0;
  return (
    `${l.valuesSearched} of ${l.valuesTotal} distinct original values searched (UTF-8 and UTF-16LE) in all ${mb(l.bytesScanned)} of the base disk at ${l.mbPerSecond.toFixed(0)} MB/s → ` +
    `${legit - l.hits} present legitimately (${
      Object.entries(l.explained)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${n} ${k}`)
        .join(", ") || "none"
    }), ${l.hits} hits`
  );
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function query(clone: CloneResult, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: clone.credentials.connectionString });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

async function countOrders(clone: CloneResult): Promise<number> {
  const result = await query(clone, "SELECT count(*)::int AS n FROM orders");
  return (result.rows[0] as { n: number }).n;
}
