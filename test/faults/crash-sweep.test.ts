// The crash sweep: for build, publish, pull, clone, promote and teardown, SIGKILL the dbclone
// process at each of its steps (a test-only pause point), run `dbclone gc`, and prove that no
// mount, loop device, FUSE export, qemu-storage-daemon, database server, temp dir or partial blob
// is left, that no record was lost (a live clone made beforehand survives every gc), and that the
// next operation succeeds. The steps × outcome matrix is printed at the end.
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloneRegistry, createClone } from "../../packages/core/src/clones/index.js";
import { parseImageRef } from "../../packages/core/src/image/reference.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { openRepository } from "../../packages/core/src/repository/index.js";
import { isServerRunning } from "../../packages/core/src/runtime/index.js";
import type { CloneResult } from "../../packages/core/src/clones/index.js";
import { makeWorld, psql, type World, buildSampleImage } from "../integration/clones/fixture.js";
import { canRunRegistry, startRegistry, type TestRegistry } from "../integration/oci/registry-fixture.js";
import { bundleCli, killAtStep, runCli, type CliRun } from "./cli-process.js";
import { filesMatching, leaksUnder } from "./leaks.js";

const canRun = process.getuid?.() === 0 && existsSync("/dev/fuse");
const reporter = silentReporter;
const matrix: string[] = [];

let world: World;
let bundle: string;
let dump: string;
let tmp: string;
let keeper: CloneResult;
let env: NodeJS.ProcessEnv;
let n = 0;

const cli = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> => {
  const r = await runCli(bundle, args, { ...env, ...extraEnv });
  if (r.code !== 0) throw new Error(`dbclone ${args.join(" ")} exited ${r.code}: ${r.stderr.slice(-1200)}`);
  return r;
};

/** Kill the command at `step`, run gc, and check the machine is clean and no record was lost. */
async function crashAt(op: string, step: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}, survivor?: string): Promise<void> {
  const pauseFile = path.join(world.root, `pause-${++n}`);
  const killed = await killAtStep(bundle, args, { ...env, ...extraEnv }, step, pauseFile);
  expect(killed.signal).toBe("SIGKILL");
  const gc = JSON.parse((await cli(["gc", "--json"])).stdout) as { released: string[]; orphans: string[] };
  // A clone killed after it became ready is a complete, recorded clone: gc must keep it.
  const survivors = survivor ? (await new CloneRegistry(world.home).list()).filter((r) => r.id !== keeper.clone.id) : [];
  const keep = [keeper.clone, ...survivors];
  const problems = [
    ...leaksUnder(
      world.root,
      keep.map((c) => c.dir),
    ),
    ...filesMatching(path.join(world.home, "work"), /^(build|promote)-/),
    ...readdirSync(path.join(world.home, "clones"))
      .filter((f) => f !== "registry.json" && !keep.some((c) => c.id === f))
      .map((f) => `clones/${f}`),
    ...readdirSync(tmp).map((f) => `tmp/${f}`),
    ...filesMatching(
      world.home,
      /^\.tmp-|\.tmp$/,
      keep.map((c) => c.mountPath),
    ),
    ...filesMatching(path.join(world.home, "cache", "partial"), /./),
    // The reflink pool: no clone copy but the kept ones', no half-expanded image or temp file.
    ...filesMatching(path.join(world.home, "pool", "clones"), /./).filter((f) => !keep.some((c) => f.includes(`/pool/clones/${c.id}.`))),
    ...filesMatching(path.join(world.home, "pool"), /\.tmp-|\.mnt$/),
  ];
  const records = await new CloneRegistry(world.home).list();
  let keeperKept = records.some((r) => r.id === keeper.clone.id) && (await isServerRunning(keeper.clone));
  for (const s of survivors) keeperKept &&= s.state === "ready" && (await isServerRunning(s));
  const verified = (await runCli(bundle, ["audit", "--verify"], { ...env, ...extraEnv })).code === 0;
  matrix.push(
    `${op.padEnd(9)} ${step.padEnd(24)} killed; gc released ${String(gc.released.length + gc.orphans.length).padStart(2)}; ` +
      `leftovers ${problems.length}; records kept ${keeperKept ? "yes" : "NO"}; audit ${verified ? "ok" : "FAILS"}` +
      (survivor ? `; ${survivors.length} ready clone kept (${survivor})` : ""),
  );
  expect(problems).toEqual([]);
  expect(keeperKept).toBe(true);
  expect(records.filter((r) => !keep.some((c) => c.id === r.id))).toEqual([]);
  if (survivor) {
    expect(survivors).toHaveLength(1);
    await cli(["teardown", survivors[0]!.id]);
    expect(leaksUnder(world.root, [keeper.clone.dir])).toEqual([]);
  }
  expect(verified).toBe(true);
}

function noteNext(op: string, what: string): void {
  matrix.push(`${op.padEnd(9)} ${"next operation".padEnd(24)} ${what}`);
}

describe.skipIf(!canRun)("a SIGKILL at any step leaves nothing gc cannot sweep", () => {
  beforeAll(async () => {
    world = await makeWorld("dbclone-crash-");
    tmp = path.join(world.root, "tmp");
    mkdirSync(tmp, { mode: 0o711 });
    bundle = await bundleCli(path.join(world.root, "dbclone.cjs"));
    dump = await buildSampleImage(world, { sizeMb: 2, seed: 11 });
    keeper = await createClone({ repository: world.repository, ref: "shop:v1", home: world.home, reporter, name: "keeper" });
    // The build server's socket dir goes under TMPDIR: a private one shows what a crash leaves there.
    env = { DBCLONE_HOME: world.home, DBCLONE_REPO: world.repoDir, DBCLONE_CACHE_DIR: path.join(world.home, "cache"), TMPDIR: tmp };
  }, 300_000);

  afterAll(async () => {
    if (matrix.length) console.log(`crash sweep matrix (operation, step, outcome):\n${matrix.join("\n")}`);
    await world?.cleanup();
  });

  it("build and publish: killed at every step, gc sweeps the staging (unmasked first) and the next build publishes", async () => {
    const steps = ["build:restored", "build:masked", "build:fresh-written", "build:sealed", "publish:blob-copied", "publish:before-link"];
    for (const step of steps)
      await crashAt(step.split(":")[0]!, step, ["build", "shop", "--from-dump", dump, "--version", "v2", "--unmasked", "synthetic test data"]);
    // The killed publishes left the version unpublished: the same version builds and publishes now.
    await cli(["build", "shop", "--from-dump", dump, "--version", "v2", "--unmasked", "synthetic test data"]);
    expect((await world.repository.resolve(parseImageRef("shop:v2"))).version).toBe("v2");
    expect(filesMatching(world.repoDir, /^\.tmp-/)).toEqual([]);
    noteNext("build", "build shop:v2 published after 6 kills; no .tmp-* left in the repository");
  }, 900_000);

  it("clone: killed at every step, gc removes the half-made clone and the next clone is ready", async () => {
    for (const step of ["clone:reserved", "clone:child-created", "clone:mounted", "server:spawned", "clone:server-started", "clone:audited"]) {
      await crashAt("clone", step, ["clone", "shop:v1", "--json"]);
    }
    // Killed once its success event is written (appended while the login is made), before it is handed
    // out: gc's removal is recorded after that event, so the log never ends on a clone nobody has.
    const events = await world.repository.audit.read();
    const claimed = events.filter((e) => e.action === "clone" && e.outcome === "success" && e.clone !== keeper.clone.id);
    expect(claimed.length).toBeGreaterThan(0);
    for (const e of claimed) {
      expect(events.slice(events.indexOf(e) + 1).some((later) => later.action === "gc" && later.clone === e.clone)).toBe(true);
    }
    await crashAt("clone", "clone:ready", ["clone", "shop:v1", "--json"], {}, "recorded and audited before the kill");
    const made = JSON.parse((await cli(["clone", "shop:v1", "--json"])).stdout) as { id: string; connectionString: string };
    expect(psql(made.connectionString, "SELECT count(*) > 0 FROM customers")).toBe("t");
    await cli(["teardown", made.id]);
    noteNext("clone", "clone shop:v1 ready and answering; torn down");
  }, 600_000);

  it("promote: killed at every step, gc removes the consumed clone and a later promote publishes", async () => {
    for (const [i, step] of ["promote:stopped", "promote:sealed", "promote:published"].entries()) {
      const c = await createClone({ repository: world.repository, ref: "shop:v1", home: world.home, reporter });
      psql(c.credentials.connectionString, `CREATE TABLE promoted_${i} (x int)`);
      await crashAt("promote", step, ["promote", c.clone.id, "--as", `shop:p${i}`]);
    }
    // Killed after publishing: that version is complete and clones.
    const published = JSON.parse((await cli(["clone", "shop:p2", "--json"])).stdout) as { id: string; connectionString: string };
    expect(psql(published.connectionString, "SELECT to_regclass('promoted_2') IS NOT NULL")).toBe("t");
    await cli(["teardown", published.id]);
    const c = await createClone({ repository: world.repository, ref: "shop:v1", home: world.home, reporter });
    await cli(["promote", c.clone.id, "--as", "shop:p9"]);
    expect((await world.repository.resolve(parseImageRef("shop:p9"))).manifest.parent).toBeDefined();
    noteNext("promote", "promote to shop:p9 published; shop:p2 (killed after publish) clones");
  }, 600_000);

  it("teardown: killed at every step, gc finishes the teardown and the next clone is ready", async () => {
    for (const step of ["teardown:stopping", "teardown:server-stopped", "teardown:unmounted"]) {
      const c = await createClone({ repository: world.repository, ref: "shop:v1", home: world.home, reporter });
      await crashAt("teardown", step, ["teardown", c.clone.id]);
    }
    const made = JSON.parse((await cli(["clone", "shop:v1", "--json"])).stdout) as { id: string };
    await cli(["teardown", made.id]);
    noteNext("teardown", "clone + teardown succeed");
  }, 600_000);

  describe.skipIf(!canRunRegistry)("pull from an OCI registry", () => {
    let registry: TestRegistry;
    beforeAll(async () => {
      registry = await startRegistry();
      const oci = await openRepository(registry.location, { cacheDir: path.join(world.root, "pusher-cache") });
      const image = await world.repository.resolve(parseImageRef("shop:v1"));
      await oci.push(image.manifest, await world.repository.pull(image));
    }, 120_000);
    afterAll(async () => {
      await registry?.stop();
      rmSync(path.join(world.root, "pusher-cache"), { recursive: true, force: true });
    });

    it("pull: killed mid-layer, gc removes the partial blob and the next clone downloads and is ready", async () => {
      const ociEnv = { DBCLONE_REPO: registry.location };
      await crashAt("pull", "pull:downloading", ["clone", "shop:v1", "--json"], ociEnv);
      const made = JSON.parse((await cli(["clone", "shop:v1", "--json"], ociEnv)).stdout) as { id: string; connectionString: string };
      expect(psql(made.connectionString, "SELECT count(*) > 0 FROM orders")).toBe("t");
      await cli(["teardown", made.id], ociEnv);
      noteNext("pull", "clone from the registry downloads again and is ready");
    }, 300_000);
  });
});
