// 20 clones of one image made at once while `dbclone gc` runs in a loop beside them (separate
// processes, so the registry lock is contended across processes): every clone becomes ready, the
// registry stays consistent, no port is handed out twice, and nothing is left after teardown.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloneRegistry, createClone, teardownClones } from "../../packages/core/src/clones/index.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { isServerRunning } from "../../packages/core/src/runtime/index.js";
import { makeWorld, psql, type World, buildSampleImage } from "../integration/clones/fixture.js";
import { bundleCli, runCli } from "./cli-process.js";
import { leaksUnder } from "./leaks.js";

const canRun = process.getuid?.() === 0 && existsSync("/dev/fuse");
const CLONES = 20;
const reporter = silentReporter;

describe.skipIf(!canRun)("20 concurrent clones with gc looping beside them", () => {
  let world: World;
  let bundle: string;

  beforeAll(async () => {
    world = await makeWorld("dbclone-conc-");
    mkdirSync(path.join(world.root, "tmp"), { mode: 0o711 });
    bundle = await bundleCli(path.join(world.root, "dbclone.cjs"));
    await buildSampleImage(world, { sizeMb: 2, seed: 5 });
  }, 300_000);
  afterAll(async () => {
    await world?.cleanup();
  });

  it("makes all 20 ready, with unique ports and a consistent registry, and leaves nothing after teardown", async () => {
    const env = {
      DBCLONE_HOME: world.home,
      DBCLONE_REPO: world.repoDir,
      DBCLONE_CACHE_DIR: path.join(world.home, "cache"),
      TMPDIR: path.join(world.root, "tmp"),
    };
    let cloning = true;
    const gcRuns: number[] = [];
    const gcLoop = (async () => {
      while (cloning) {
        const r = await runCli(bundle, ["gc", "--json"], env);
        gcRuns.push(r.code ?? -1);
        if (r.code !== 0) throw new Error(`gc failed beside the clones: ${r.stderr}`);
        const { expired, orphans } = JSON.parse(r.stdout) as { expired: string[]; orphans: string[] };
        // Nothing here is expired or orphaned: gc must not take a clone being made.
        if (expired.length || orphans.length) throw new Error(`gc removed live clones: ${[...expired, ...orphans].join(", ")}`);
      }
    })();
    const started = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: CLONES }, (_, i) =>
        createClone({ repository: world.repository, ref: "shop:v1", home: world.home, reporter, labels: { n: String(i) } }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    cloning = false;
    await gcLoop;

    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => String(r.reason));
    expect(failed).toEqual([]);
    const clones = results.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof createClone>>>).value);
    const records = await new CloneRegistry(world.home).list();
    const ports = records.map((r) => r.port);
    console.log(
      `${CLONES} concurrent clones ready in ${seconds.toFixed(1)} s beside ${gcRuns.length} gc runs; ports ${Math.min(...ports)}-${Math.max(...ports)}`,
    );
    expect(gcRuns.length).toBeGreaterThanOrEqual(2);
    expect(records).toHaveLength(CLONES);
    expect(new Set(ports).size).toBe(CLONES);
    expect(new Set(records.map((r) => r.id))).toEqual(new Set(clones.map((c) => c.clone.id)));
    for (const r of records) {
      expect(r.state).toBe("ready");
      expect(await isServerRunning(r)).toBe(true);
    }
    // Every clone answers on its own port, as itself.
    for (const c of clones) expect(psql(c.credentials.connectionString, "SELECT count(*) > 0 FROM customers")).toBe("t");
    expect(readdirSync(path.join(world.home, "clones")).filter((f) => f.endsWith(".lock"))).toEqual([]);

    // Teardown of all 20 while a gc runs: everything goes.
    const tearing = Promise.all(clones.map((c) => teardownClones({ home: world.home, reporter, id: c.clone.id })));
    const gc = await runCli(bundle, ["gc", "--json"], env);
    expect(gc.code).toBe(0);
    await tearing;
    await runCli(bundle, ["gc"], env);
    expect(await new CloneRegistry(world.home).list()).toEqual([]);
    expect(leaksUnder(world.root, [])).toEqual([]);
    expect(readdirSync(path.join(world.home, "clones")).filter((f) => f !== "registry.json")).toEqual([]);
  }, 900_000);
});
