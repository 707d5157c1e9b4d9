// `npm run bench -- leakscan [sizeMB] [values]`: memory and speed of the leak scan's raw-byte pass.
// One disk-sized file of text-like bytes (names, emails, digits; seeded, the same every run) is
// scanned twice in separate processes: with `values` distinct originals (default 1 M) and with 1 k.
// Reports peak RSS (VmHWM), the matcher's own bytes, MB/s and values searched, and their ratio.
// Writes bench/results/leakscan.json.
import { spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { collectOriginals, emptyTally, scanBlob } from "../packages/core/src/masking/index.js";

const original = (i: number) => `person.${i.toString(36)}.${(i * 7919) % 100_003}@mail${i % 97}.example`;

/** Seeded xorshift: the disk's bytes are the same on every run. */
function* diskChunks(bytes: number, plantEvery: number): Generator<Buffer> {
  let s = 0x9e3779b9;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const words = ["order", "shipped", "Main St", "london", "Paris", "invoice", "2024-01-", "status", "paid", "\u0000\u0000\u0000\u0000"];
  let written = 0;
  let planted = 0;
  while (written < bytes) {
    const parts: string[] = [];
    let len = 0;
    while (len < 1 << 20) {
      const r = next();
      const w = r % 11 === 0 ? `user.${(r >>> 8) % 5_000_000}@mail${r % 97}.example` : words[r % words.length]! + (r >>> 20);
      parts.push(w);
      len += w.length;
      if (len >= plantEvery && len - w.length < plantEvery) {
        const p = original(planted++ % 1000); // an original among the first 1 k: present in both runs
        parts.push(p);
        len += p.length;
      }
    }
    const chunk = Buffer.from(parts.join(" "), "latin1").subarray(0, Math.min(1 << 20, bytes - written));
    written += chunk.length;
    yield chunk;
  }
}

async function makeDisk(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  for (const chunk of diskChunks(bytes, 512 * 1024)) if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

async function peakRss(): Promise<number> {
  const status = await readFile("/proc/self/status", "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Child mode: scan `file` for `values` originals, print one JSON line. */
async function scanChild(file: string, values: number): Promise<void> {
  const t0 = performance.now();
  const originals = collectOriginals([
    {
      source: { database: "bench", schema: "public", table: "people", column: "email", distinct: values, rows: values },
      values: (function* () {
        for (let i = 0; i < values; i++) yield original(i);
      })(),
    },
  ]);
  const buildSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const tally = emptyTally();
  await scanBlob(file, originals.patterns, tally);
  const scanSeconds = (performance.now() - t1) / 1000;
  console.log(
    JSON.stringify({
      values: originals.searched,
      patterns: originals.patterns.size,
      matcherBytes: originals.patterns.bytes,
      buildSeconds: Number(buildSeconds.toFixed(2)),
      bytesScanned: tally.bytesScanned,
      scanSeconds: Number(scanSeconds.toFixed(2)),
      mbPerSecond: Number((tally.bytesScanned / 1048576 / scanSeconds).toFixed(1)),
      hits: tally.hits,
      peakRssBytes: await peakRss(),
    }),
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === "--child") return scanChild(process.argv[3]!, Number(process.argv[4]));
  const sizeMb = Number(process.argv[2] ?? 1024);
  const values = Number(process.argv[3] ?? 1_000_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-bench-leakscan-"));
  try {
    const disk = path.join(dir, "disk.raw");
    console.log(`writing a ${sizeMb} MB disk…`);
    await makeDisk(disk, sizeMb * 1048576);
    const runs: Record<string, unknown>[] = [];
    for (const n of [values, 1000]) {
      const r = spawnSync(process.execPath, [process.argv[1]!, "--child", disk, String(n)], { encoding: "utf8", maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`scan of ${n} values failed: ${r.stderr}`);
      const result = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, number>;
      console.log(`${n} values: ${(result.peakRssBytes! / 1048576).toFixed(0)} MB peak RSS, ${result.mbPerSecond} MB/s, ${result.hits} hits`);
      runs.push(result);
    }
    const [big, small] = runs as Record<string, number>[];
    const result = {
      diskBytes: sizeMb * 1048576,
      large: big,
      small,
      rssRatio: Number((big!.peakRssBytes! / small!.peakRssBytes!).toFixed(2)),
      underOneGiB: big!.peakRssBytes! < 1024 ** 3,
      machine: { cpus: os.cpus().length, node: process.version },
      measuredAt: new Date().toISOString(),
    };
    console.log(JSON.stringify(result, null, 2));
    await mkdir("bench/results", { recursive: true });
    await writeFile("bench/results/leakscan.json", `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
