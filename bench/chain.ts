// `npm run bench -- chain [--depth 5] [--clones 10] [--size-mb 20]`
// Clone-ready time of a layered version (`depth` layers: a base plus depth-1 promoted layers)
// against the single-layer base it grew from, p50 over `clones` clones each (taken alternately
// so both see the same machine load). Target: layered p50 ≤ 1.5 × single-layer p50.
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { buildImage } from "../packages/core/src/build/index.js";
import { CloneRegistry, createClone, teardownClones } from "../packages/core/src/clones/index.js";
import { promoteClone } from "../packages/core/src/promote/index.js";
import { createSampleDump } from "../packages/core/src/engine/index.js";
import { silentReporter } from "../packages/core/src/reporter.js";
import { openRepository } from "../packages/core/src/repository/index.js";
import { percentile, round, table } from "./lib/stats.js";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const depth = Number(args.get("depth") ?? 5);
const cloneCount = Number(args.get("clones") ?? 10);
const sizeMb = Number(args.get("size-mb") ?? 20);
const reporter = silentReporter;
const log = (s: string) => process.stderr.write(`${s}\n`);

async function sql(connectionString: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), "dbclone-bench-chain-"));
  await chmod(root, 0o711); // the postgres OS user must reach the mounts below
  const home = path.join(root, "home");
  const repository = await openRepository(path.join(root, "repository"), { cacheDir: path.join(home, "cache") });
  try {
    const dump = path.join(root, "shop.dump");
    await createSampleDump(dump, { sizeMb, seed: 3 });
    log(`building shop:v1 from a ${sizeMb} MB sample …`);
    await buildImage({
      repository,
      name: "shop",
      version: "v1",
      sources: [{ kind: "dump", path: dump }],
      home,
      reporter,
      unmasked: { reason: "synthetic benchmark data" },
    });
    const layerBytes: number[] = [];
    for (let v = 2; v <= depth; v++) {
      const c = await createClone({ repository, ref: `shop:v${v - 1}`, home, reporter });
      await sql(
        c.credentials.connectionString,
        `CREATE TABLE layer_${v} AS SELECT g AS id, md5(g::text) AS note FROM generate_series(1, 2000) g; UPDATE customers SET last_name = last_name || '${v}' WHERE id % 50 = ${v}`,
      );
      const p = await promoteClone({ repository, home, reporter, clone: c.clone.id, as: `shop:v${v}` });
      layerBytes.push(p.blobBytes);
      log(`promoted shop:v${v}: layer ${p.blobBytes} bytes, ${p.chainDepth} layers`);
    }
    const single: number[] = [];
    const layered: number[] = [];
    for (let i = 0; i < cloneCount; i++) {
      for (const [ref, into] of [
        ["shop:v1", single],
        [`shop:v${depth}`, layered],
      ] as const) {
        const c = await createClone({ repository, ref, home, reporter });
        into.push(c.readySeconds);
        await teardownClones({ home, reporter, id: c.clone.id });
      }
    }
    const p50Single = percentile(single, 50);
    const p50Layered = percentile(layered, 50);
    const ratio = p50Layered / p50Single;
    const base = await repository.resolve({ name: "shop", version: "v1" });
    const summary = {
      singleLayerP50Seconds: round(p50Single),
      layeredP50Seconds: round(p50Layered),
      ratio: round(ratio, 2),
      target: "layered p50 <= 1.5 x single-layer p50",
      pass: ratio <= 1.5,
    };
    log(
      table([
        ["image", "layers", "clones", "p50 s", "p90 s"],
        ["shop:v1", 1, single.length, round(p50Single), round(percentile(single, 90))],
        [`shop:v${depth}`, depth, layered.length, round(p50Layered), round(percentile(layered, 90))],
      ]),
    );
    log(
      `ratio ${summary.ratio} (${summary.pass ? "pass" : "FAIL"}: ${summary.target}); base blob ${base.manifest.disk.sizeBytes} B, layers ${layerBytes.join(", ")} B`,
    );
    const out = {
      benchmark: "chain",
      when: new Date().toISOString(),
      machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) },
      depth,
      clones: cloneCount,
      sizeMb,
      baseBlobBytes: base.manifest.disk.sizeBytes,
      layerBlobBytes: layerBytes,
      readySeconds: { singleLayer: single.map((s) => round(s)), layered: layered.map((s) => round(s)) },
      summary,
    };
    await mkdir("bench/results", { recursive: true });
    await writeFile("bench/results/chain.json", `${JSON.stringify(out, null, 2)}\n`);
    if (!summary.pass) process.exitCode = 1;
  } finally {
    for (const r of await new CloneRegistry(home).list().catch(() => [])) await teardownClones({ home, reporter, id: r.id }).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
