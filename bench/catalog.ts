// `npm run bench -- catalog [--versions 200] [--events 10000] [--runs 5]`
// Time to write the static catalog (library, lineage, audit trail, one page per version) against
// reading the same manifests and audit log alone (list + resolve every version + read the log),
// median of `runs` alternating runs. Target: catalog ≤ 3 × reading alone (wall time). CPU time
// (process user + system, threadpool included) is reported too: on a shared, loaded machine it
// is the steadier of the two.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { AUDIT_ACTIONS } from "../packages/core/src/audit/index.js";
import { writeCatalog } from "../packages/core/src/catalog/index.js";
import { sha256File, type ImageManifest } from "../packages/core/src/image/index.js";
import { openRepository, type PublishedImage, type Repository } from "../packages/core/src/repository/index.js";
import { percentile, round, table } from "./lib/stats.js";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const versionCount = Number(args.get("versions") ?? 200);
const eventCount = Number(args.get("events") ?? 10_000);
const runs = Number(args.get("runs") ?? 5);
const IMAGES = ["orders", "billing", "crm", "inventory", "analytics/events"];
const log = (s: string) => process.stderr.write(`${s}\n`);

function manifestFor(name: string, version: string, minutes: number, digest: string, parent?: PublishedImage): ImageManifest {
  const when = new Date(Date.UTC(2026, 0, 1) + minutes * 60_000).toISOString();
  const tables = Array.from({ length: 12 }, (_, t) => ({
    schema: "public",
    name: `table_${t}`,
    rowEstimate: 10_000 * (t + 1),
    sizeBytes: 1_048_576 * (t + 1),
    columns: Array.from({ length: 8 }, (_, c) => ({ name: `col_${c}`, type: c % 2 ? "text" : "integer", nullable: c > 0 })),
  }));
  const masked = minutes % 7 !== 0;
  return {
    schemaVersion: 1,
    name,
    version,
    created: when,
    engine: { kind: "postgres", version: "15.8" },
    platform: { os: "linux", diskFormat: "qcow2", filesystem: "xfs" },
    databases: [{ name: name.replace("/", "_"), sizeBytes: 90_000_000, tables }],
    disk: { digest, sizeBytes: 4096, virtualSizeBytes: 1 << 30 },
    ...(parent ? { parent: parent.manifestDigest } : {}),
    source: { kind: parent ? "clone" : "dump", description: `nightly pg_dump of ${name}`, capturedAt: when },
    ...(masked
      ? {
          masking: {
            policyDigest: `sha256:${"ab".repeat(32)}`,
            rules: Array.from({ length: 10 }, (_, r) => ({
              database: name,
              table: `public.table_${r}`,
              column: "col_1",
              transformer: "email",
              family: "email",
              origin: "policy",
              distinctValues: 5000,
            })),
            rowsChanged: 50_000,
            scan: {
              piiCandidates: [
                { database: name, schema: "public", table: "table_3", column: "col_3", type: "text", kinds: ["email"], reasons: ["column name"] },
              ],
            },
            leakScan: { bytesScanned: 90_000_000, probes: 50_000, hits: 0 },
          },
        }
      : {}),
    git: { repository: "acme/data", commit: randomBytes(20).toString("hex"), ref: "refs/heads/main" },
    build: { runUrl: `https://github.com/acme/data/actions/runs/${minutes}`, actor: "nightly-bot", startedAt: when, finishedAt: when, toolVersion: "0.1.0" },
    access: { users: ["dpo"], teams: ["acme/analytics"] },
    labels: { team: "data" },
  };
}

async function populate(root: string): Promise<Repository> {
  const repository = await openRepository(path.join(root, "repo"), { cacheDir: path.join(root, "cache") });
  const blob = path.join(root, "blob");
  const previous = new Map<string, PublishedImage>();
  for (let i = 0; i < versionCount; i++) {
    const name = IMAGES[i % IMAGES.length]!;
    await writeFile(blob, randomBytes(4096));
    // Every fourth version of an image is promoted on top of the one before it (a layer).
    const parent = Math.floor(i / IMAGES.length) % 4 === 3 ? previous.get(name) : undefined;
    const image = await repository.push(manifestFor(name, `v${Math.floor(i / IMAGES.length) + 1}`, i, await sha256File(blob), parent), blob);
    previous.set(name, image);
  }
  for (const [name, image] of previous) if (name) await repository.tag(image, "latest");
  const have = (await repository.audit.read()).length;
  const actions = AUDIT_ACTIONS.filter((a) => a !== "build" && a !== "publish");
  for (let e = have; e < eventCount; e++) {
    const name = IMAGES[e % IMAGES.length]!;
    await repository.audit.append({
      action: actions[e % actions.length]!,
      outcome: "success",
      actor: `dev-${e % 17}`,
      image: `${name}:v${(e % 40) + 1}`,
      clone: `pr-${e % 300}`,
    });
    if (e % 2000 === 0) log(`… ${e} audit events`);
  }
  return repository;
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

async function readAlone(repository: Repository): Promise<void> {
  const summaries = await repository.list();
  await Promise.all(summaries.map((s) => repository.resolve({ name: s.name, version: s.version })));
  await repository.audit.read();
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), "dbclone-bench-catalog-"));
  try {
    log(`publishing ${versionCount} versions and ${eventCount} audit events …`);
    const repository = await populate(root);
    const read: Timing[] = [];
    const catalog: Timing[] = [];
    let pages = 0;
    await readAlone(repository); // warm the page cache for both
    for (let r = 0; r < runs; r++) {
      read.push(await timed(() => readAlone(repository)));
      catalog.push(
        await timed(async () => {
          const result = await writeCatalog(repository, path.join(root, "site"));
          pages = result.pages.length;
          if (result.versions !== versionCount || result.auditEvents !== eventCount)
            throw new Error(`catalog has ${result.versions} versions, ${result.auditEvents} events`);
        }),
      );
    }
    const p50 = (xs: Timing[], k: keyof Timing) =>
      percentile(
        xs.map((x) => x[k]),
        50,
      );
    const wallRatio = p50(catalog, "wallMs") / p50(read, "wallMs");
    const cpuRatio = p50(catalog, "cpuMs") / p50(read, "cpuMs");
    const summary = {
      readAloneWallMs: round(p50(read, "wallMs"), 1),
      catalogWallMs: round(p50(catalog, "wallMs"), 1),
      wallRatio: round(wallRatio, 2),
      readAloneCpuMs: round(p50(read, "cpuMs"), 1),
      catalogCpuMs: round(p50(catalog, "cpuMs"), 1),
      cpuRatio: round(cpuRatio, 2),
      loadAverage: os.loadavg().map((x) => round(x, 1)),
      target: "catalog <= 3 x reading manifests and audit log alone (p50 wall time)",
      pass: wallRatio <= 3,
    };
    const row = (label: string, xs: Timing[]) => [
      label,
      runs,
      round(p50(xs, "wallMs"), 1),
      round(Math.min(...xs.map((x) => x.wallMs)), 1),
      round(Math.max(...xs.map((x) => x.wallMs)), 1),
      round(p50(xs, "cpuMs"), 1),
    ];
    log(table([["step", "runs", "p50 wall ms", "min ms", "max ms", "p50 cpu ms"], row("read alone", read), row("catalog", catalog)]));
    log(
      `wall ratio ${summary.wallRatio}, cpu ratio ${summary.cpuRatio} (${summary.pass ? "pass" : "FAIL"}: ${summary.target}); ${pages} pages; load ${summary.loadAverage.join(" ")}`,
    );
    const out = {
      benchmark: "catalog",
      when: new Date().toISOString(),
      machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) },
      versions: versionCount,
      auditEvents: eventCount,
      pages,
      ms: {
        readAlone: read.map((x) => ({ wall: round(x.wallMs, 1), cpu: round(x.cpuMs, 1) })),
        catalog: catalog.map((x) => ({ wall: round(x.wallMs, 1), cpu: round(x.cpuMs, 1) })),
      },
      summary,
    };
    await mkdir("bench/results", { recursive: true });
    await writeFile("bench/results/catalog.json", `${JSON.stringify(out, null, 2)}\n`);
    if (!summary.pass) process.exitCode = 1;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
