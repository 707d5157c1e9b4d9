// `npm run bench -- oci [--size-mb 1024]`
// Push and pull throughput of a qcow2 image holding mixed (half random, half text) data through a
// local docker-registry, against `cp` of the same file in the same run, and the peak RSS of the
// pulling process (a child process; its own process.resourceUsage().maxRSS and /proc VmHWM).
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseImageRef } from "../packages/core/src/image/index.js";
import { OciRepository } from "../packages/core/src/repository/index.js";
import { run } from "../packages/core/src/runtime/index.js";
import { startRegistry } from "../test/integration/oci/registry-fixture.js";
import { makeManifest } from "../test/unit/_helpers/manifest.js";
import { round, table } from "./lib/stats.js";

const MiB = 1024 * 1024;
const log = (s: string) => process.stderr.write(`${s}\n`);

// The bundle is CommonJS (no top-level await): start explicitly and fail loudly.
(process.argv[2] === "--pull-child" ? pullChild(process.argv[3]!, process.argv[4]!, process.argv[5]!) : main()).catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

/** Runs in the child: resolve + pull, then report time and peak RSS as one JSON line. */
async function pullChild(location: string, cacheDir: string, ref: string): Promise<void> {
  const repo = new OciRepository(location, { cacheDir, env: {}, cache: {} });
  const t = performance.now();
  const blob = await repo.pull(await repo.resolve(parseImageRef(ref)));
  const seconds = (performance.now() - t) / 1000;
  const status = await fs.readFile("/proc/self/status", "utf8");
  const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  process.stdout.write(`${JSON.stringify({ blob, seconds, maxRssKb: process.resourceUsage().maxRSS, vmHwmKb: hwmKb })}\n`);
}

async function main(): Promise<void> {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
  const sizeMb = Number(args.get("size-mb") ?? 1024);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "dbclone-bench-oci-"));
  const registry = await startRegistry({ namespace: "bench" });
  try {
    log(`writing ${sizeMb} MiB of mixed data into a qcow2…`);
    const raw = path.join(work, "raw.img");
    await writeMixed(raw, sizeMb * MiB);
    const disk = path.join(work, "base.qcow2");
    await run("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, disk], { timeoutMs: 600_000 });
    await fs.rm(raw);
    const st = await fs.stat(disk);
    const digest = await sha256(disk);
    const mb = st.size / MiB;

    let t = performance.now();
    await run("cp", [disk, path.join(work, "copy.qcow2")], { timeoutMs: 600_000 });
    await run("sync", []);
    const cpSeconds = (performance.now() - t) / 1000;
    await fs.rm(path.join(work, "copy.qcow2"));

    log("pushing…");
    const pusher = new OciRepository(registry.location, { cacheDir: path.join(work, "push-cache"), env: {} });
    const manifest = makeManifest({ name: "bench-db", version: "1", disk: { digest, sizeBytes: st.size, virtualSizeBytes: st.size } });
    t = performance.now();
    const published = await pusher.push(manifest, disk);
    const pushSeconds = (performance.now() - t) / 1000;
    const layerBytes = await registryLayerBytes(registry.storageDir);

    log("pulling in a child process…");
    const child = await runChild([process.argv[1]!, "--pull-child", registry.location, path.join(work, "pull-cache"), "bench-db:1"]);
    if ((await sha256(child.blob)) !== published.manifest.disk.digest) throw new Error("pulled blob differs from the pushed disk");

    const result = {
      when: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      diskBytes: st.size,
      layerBytesGzip: layerBytes,
      compressionRatio: round(layerBytes / st.size),
      cpSeconds: round(cpSeconds),
      cpMBps: round(mb / cpSeconds, 1),
      pushSeconds: round(pushSeconds),
      pushMBps: round(mb / pushSeconds, 1),
      pullSeconds: round(child.seconds),
      pullMBps: round(mb / child.seconds, 1),
      pullPeakRssMB: round(Math.max(child.maxRssKb, child.vmHwmKb) / 1024, 1),
      targetPullPeakRssMB: 200,
    };
    console.log(
      table([
        ["what", "seconds", "MB/s"],
        ["cp", result.cpSeconds, result.cpMBps],
        ["push (gzip -1, chunked)", result.pushSeconds, result.pushMBps],
        ["pull (gunzip, verify)", result.pullSeconds, result.pullMBps],
      ]),
    );
    console.log(`disk ${round(mb, 1)} MiB, layer ${round(layerBytes / MiB, 1)} MiB; pull peak RSS ${result.pullPeakRssMB} MB (target < 200)`);
    await fs.mkdir("bench/results", { recursive: true });
    await fs.writeFile("bench/results/oci.json", `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await registry.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
}

/** Alternate 1 MiB of random bytes with 1 MiB of repeated SQL text: roughly 2:1 compressible. */
async function writeMixed(file: string, bytes: number): Promise<void> {
  const fh = await fs.open(file, "w");
  const text = Buffer.from("INSERT INTO orders VALUES (42, 'alice@example.com', 'paid', now());\n".repeat(Math.ceil(MiB / 60))).subarray(0, MiB);
  try {
    for (let off = 0, i = 0; off < bytes; off += MiB, i++) await fh.write(i % 2 === 0 ? randomBytes(MiB) : text);
  } finally {
    await fh.close();
  }
}

async function sha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(file, { highWaterMark: 4 * MiB })) h.update(c as Buffer);
  return `sha256:${h.digest("hex")}`;
}

async function registryLayerBytes(storage: string): Promise<number> {
  let biggest = 0;
  const root = path.join(storage, "docker/registry/v2/blobs/sha256");
  for (const prefix of await fs.readdir(root)) {
    for (const hex of await fs.readdir(path.join(root, prefix))) biggest = Math.max(biggest, (await fs.stat(path.join(root, prefix, hex, "data"))).size);
  }
  return biggest;
}

function runChild(argv: string[]): Promise<{ blob: string; seconds: number; maxRssKb: number; vmHwmKb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += String(d)));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`pull child exited with ${code}`))));
  });
}
