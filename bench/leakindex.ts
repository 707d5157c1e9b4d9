// `npm run bench -- leakindex [originals…] [--mb N] [--budget MB]` (default: 1000000 2000000, a 64 MB
// file, the build's partition budget): the one-pass leak scan's memory against the number of
// originals. Per size, in its own process: the index of that many synthetic distinct originals
// (emails, phones, streets) is built as a build builds it (partitions sized to the originals), then
// one data file (the same bytes for every size: look-alike values, some of them originals) is
// scanned in one pass. Peak RSS is /proc's VmHWM, reset (clear_refs) before each phase, so a phase
// that runs synchronously is measured too. Pass 2's peak should not grow with the originals: more
// partitions, each the same size. Writes bench/results/leakindex.json.
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  bytesPerOriginal,
  emptyTally,
  ORIGINALS_BUDGET,
  partitionsFor,
  scanFilesOnePass,
  tagOfOriginal,
  WindowIndex,
} from "../packages/core/src/masking/index.js";
import { silentReporter } from "../packages/core/src/reporter.js";

const MB = 1048576;
const original = (i: number) =>
  i % 3 === 0 ? `person.${i}@mail${i % 97}.example` : i % 3 === 1 ? `+1 555 ${String(i % 9999991).padStart(7, "0")}` : `${i} Main Street`;
/** A value like the originals (their digit runs) that holds none: another area code, another street kind. */
const lookAlike = (i: number) =>
  i % 3 === 0 ? `person.${i}@mail${i % 97}.example` : i % 3 === 1 ? `+1 556 ${String(i % 9999991).padStart(7, "0")}` : `${i} Main Road`;

const hwmMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))![1]) / 1024;
const rssMb = () => process.memoryUsage.rss() / MB;
/** Peak RSS from now on (false: the kernel refused; VmHWM then counts from the start). */
function resetHwm(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/**
 * Seeded look-alike values, `bytes` in all, the same for every size: indexes from `lo` up (no
 * original: their digit runs make the candidates) and, every 500th value, one of the first `planted`
 * originals (a hit in every run).
 */
function writeData(file: string, bytes: number, lo: number, planted: number): void {
  let s = 0x9e3779b9;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const fd = openSync(file, "w", 0o600);
  try {
    let k = 0;
    for (let written = 0; written < bytes; ) {
      const parts: string[] = [];
      for (let len = 0; len < MB; ) {
        const v = `${++k % 500 === 0 ? original(next() % planted) : lookAlike(lo + (next() % (9 * lo)))}\u0000${"order shipped paid".slice(0, next() % 18)}\u0001`;
        parts.push(v);
        len += v.length;
      }
      written += writeSync(fd, Buffer.from(parts.join(""), "latin1"));
    }
  } finally {
    closeSync(fd);
  }
}

async function child(file: string, n: number, budget: number): Promise<void> {
  const dir = mkdtempSync(path.join(path.dirname(file), "index-"));
  try {
    const values = (each: (utf8: Uint8Array, id: number, first: number, strongest: number) => void) => {
      for (let i = 0; i < n; i++) each(Buffer.from(original(i)), i, i % 3, i % 3);
    };
    let loaded = 0;
    values((utf8) => (loaded += bytesPerOriginal(utf8.length)));
    const reset = resetHwm();
    const t0 = performance.now();
    const index = new WindowIndex(n, partitionsFor(loaded, budget), dir);
    index.addOriginals(values, tagOfOriginal);
    const indexSeconds = (performance.now() - t0) / 1000;
    const indexPeakMb = hwmMb();
    const before = rssMb();
    resetHwm();
    const t1 = performance.now();
    const tally = emptyTally();
    const stats = await scanFilesOnePass(index, [{ path: file, file: "bench", channelOf: () => "bench" }], tally, undefined, silentReporter, "bench");
    const scanSeconds = (performance.now() - t1) / 1000;
    const scanPeakMb = hwmMb();
    console.log(
      JSON.stringify({
        originals: n,
        patterns: index.originalPatterns,
        partitions: index.partitions,
        largestPartitionPatterns: index.largestPartition,
        estimatedBytesPerPartitionMb: Number((loaded / index.partitions / MB).toFixed(1)),
        filterMb: Number((index.filter.bytes / MB).toFixed(1)),
        loadedPartitionMb: Number((index.loadedBytes / MB).toFixed(1)),
        indexSeconds: Number(indexSeconds.toFixed(1)),
        indexPeakRssMb: Math.round(indexPeakMb),
        rssBeforeScanMb: Math.round(before),
        scanPeakRssMb: Math.round(scanPeakMb),
        scanPeakAboveBeforeMb: Math.round(scanPeakMb - before),
        peakReset: reset,
        scanSeconds: Number(scanSeconds.toFixed(1)),
        pass1Seconds: Number(stats.pass1Seconds.toFixed(1)),
        pass2Seconds: Number(stats.pass2Seconds.toFixed(1)),
        candidates: stats.candidates,
        matches: stats.matches,
      }),
    );
    index.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === "--child") return child(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
  const opt = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const mb = opt("--mb") ?? 64;
  const budget = (opt("--budget") ?? ORIGINALS_BUDGET / MB) * MB;
  const sizes = process.argv
    .slice(2)
    .filter((a, i, all) => !a.startsWith("--") && !all[i - 1]?.startsWith("--"))
    .map(Number);
  const counts = sizes.length ? sizes : [1_000_000, 2_000_000];
  const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-bench-leakindex-"));
  try {
    const file = path.join(dir, "data");
    writeData(file, mb * MB, 2 * Math.max(...counts), Math.min(...counts));
    const runs: Record<string, number | boolean>[] = [];
    for (const n of counts) {
      const r = spawnSync(process.execPath, [process.argv[1]!, "--child", file, String(n), String(budget)], { encoding: "utf8", maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`the run with ${n} originals failed: ${r.stderr}`);
      const result = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, number | boolean>;
      console.log(JSON.stringify(result));
      runs.push(result);
    }
    const result = {
      fileMb: mb,
      budgetMb: budget / MB,
      runs,
      machine: { cpus: os.cpus().length, node: process.version },
      measuredAt: new Date().toISOString(),
    };
    await mkdir("bench/results", { recursive: true });
    await writeFile("bench/results/leakindex.json", `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
