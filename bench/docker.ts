// `npm run bench -- docker [--clones 7] [--size-mb 5]`
// Clone-ready and teardown time with the server in a container versus a host process, in the same
// run, alternating so both see the same machine load. The engine is a private dockerd this bench
// starts (as the integration tests do: empty imported image, the host's PostgreSQL through
// read-only binds, host networking), stopped by PID at the end with its mounts.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildImage } from "../packages/core/src/build/index.js";
import { createClone, teardownClones } from "../packages/core/src/clones/index.js";
import type { CreateCloneOptions } from "../packages/core/src/clones/index.js";
import { createSampleDump } from "../packages/core/src/engine/index.js";
import { silentReporter } from "../packages/core/src/reporter.js";
import { openRepository } from "../packages/core/src/repository/index.js";
import { EMPTY_IMAGE, HOST_BINDS, startDockerd } from "../test/integration/docker/dockerd.js";
import { percentile, round, table } from "./lib/stats.js";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const count = Math.max(5, Number(args.get("clones") ?? 7));
const sizeMb = Number(args.get("size-mb") ?? 5);
const reporter = silentReporter;
const log = (s: string) => process.stderr.write(`${s}\n`);

const summary = (xs: number[]) => ({
  p50: round(percentile(xs, 50)),
  min: round(Math.min(...xs)),
  max: round(Math.max(...xs)),
  samples: xs.map((x) => round(x)),
});

async function main(): Promise<void> {
  const dockerd = await startDockerd();
  if ("skip" in dockerd) throw new Error(`cannot run: ${dockerd.skip}`);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "dbclone-bench-docker-"));
  await fs.chmod(root, 0o711);
  const home = path.join(root, "home");
  const live: string[] = [];
  try {
    process.env.DOCKER_HOST = dockerd.host;
    const repository = await openRepository(path.join(root, "repository"), { cacheDir: path.join(home, "cache") });
    const dump = path.join(root, "shop.dump");
    log(`sample database (${sizeMb} MB) and image …`);
    await createSampleDump(dump, { sizeMb, seed: 11 });
    await buildImage({
      repository,
      name: "shop",
      version: "v1",
      sources: [{ kind: "dump", path: dump }],
      home,
      reporter,
      unmasked: { reason: "synthetic benchmark data" },
    });

    const docker: CreateCloneOptions["docker"] = { image: EMPTY_IMAGE, network: "host", readOnlyPaths: HOST_BINDS, pull: false };
    const ready = { host: [] as number[], docker: [] as number[] };
    const teardown = { host: [] as number[], docker: [] as number[] };
    // One warm-up of each, not counted: the first start pays for page cache and the engine's first container.
    for (let i = -1; i < count; i++) {
      for (const runtime of ["host", "docker"] as const) {
        const c = await createClone({ repository, ref: "shop:v1", home, reporter, runtime, docker: runtime === "docker" ? docker : undefined });
        live.push(c.clone.id);
        const t = performance.now();
        await teardownClones({ home, reporter, id: c.clone.id });
        live.pop();
        if (i < 0) continue;
        ready[runtime].push(c.readySeconds);
        teardown[runtime].push((performance.now() - t) / 1000);
        log(`  ${runtime}: ready ${c.readySeconds.toFixed(3)} s`);
      }
    }
    const result = {
      benchmark: "docker",
      when: new Date().toISOString(),
      machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) },
      engine: { storageDriver: dockerd.storageDriver, network: "host", image: `${EMPTY_IMAGE} + read-only binds of ${HOST_BINDS.join(", ")}` },
      clones: count,
      sampleMb: sizeMb,
      cloneReady: { host: summary(ready.host), docker: summary(ready.docker) },
      teardown: { host: summary(teardown.host), docker: summary(teardown.docker) },
      containerOverheadP50Seconds: round(percentile(ready.docker, 50) - percentile(ready.host, 50)),
    };
    process.stdout.write(
      `${table([
        ["runtime", "ready p50 s", "ready min s", "ready max s", "teardown p50 s"],
        ["host", result.cloneReady.host.p50, result.cloneReady.host.min, result.cloneReady.host.max, result.teardown.host.p50],
        ["docker", result.cloneReady.docker.p50, result.cloneReady.docker.min, result.cloneReady.docker.max, result.teardown.docker.p50],
      ])}\ncontainer overhead (ready p50): ${result.containerOverheadP50Seconds} s\n`,
    );
    await fs.mkdir("bench/results", { recursive: true });
    await fs.writeFile("bench/results/docker.json", `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const id of live) await teardownClones({ home, reporter, id }).catch(() => undefined);
    await dockerd.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench docker failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
