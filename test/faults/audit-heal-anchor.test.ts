// The audit log under faults and forgery, through the real CLI:
// - a torn last line (a crash or a full disk mid-append) does not block the next clone, and
//   `audit --verify` reports the repair; a log rewritten with every hash and the head recomputed
//   passes the chain check alone but fails against the anchor taken before;
// - two runner homes clone from one registry; `audit --verify` from a third home sees and
//   verifies both runners' published chains, and catches a forged segment.
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashEvent, type AuditEvent } from "../../packages/core/src/audit/index.js";
import { parseImageRef } from "../../packages/core/src/image/reference.js";
import { OciRepository } from "../../packages/core/src/repository/index.js";
import { makeWorld, type World, buildSampleImage } from "../integration/clones/fixture.js";
import { canRunRegistry, startRegistry, type TestRegistry } from "../integration/oci/registry-fixture.js";
import { bundleCli, runCli, type CliRun } from "./cli-process.js";
import { leaksUnder } from "./leaks.js";

const canRun = process.getuid?.() === 0 && existsSync("/dev/fuse");
let world: World;
let bundle: string;

describe.skipIf(!canRun)("an audit log that heals and anchors", () => {
  beforeAll(async () => {
    world = await makeWorld("dbclone-audit-it-");
    bundle = await bundleCli(path.join(world.root, "dbclone.cjs"));
    await buildSampleImage(world, { sizeMb: 2, seed: 3 });
  }, 300_000);
  afterAll(async () => {
    await world?.cleanup();
  });

  const envFor = (home: string, repo: string): NodeJS.ProcessEnv => ({ DBCLONE_HOME: home, DBCLONE_REPO: repo, DBCLONE_CACHE_DIR: path.join(home, "cache") });
  // Run from the test root: `audit --verify` looks for anchor tags in the current directory.
  const cli = (args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> => runCli(bundle, args, env, world.root);

  it("heals a torn tail: the next clone works and verify reports the repair; a recomputed rewrite fails against the anchor", async () => {
    const env = envFor(world.home, world.repoDir);
    const anchors = path.join(world.root, "anchors");
    mkdirSync(anchors);
    execFileSync("git", ["init", "-q", anchors]);
    const anchored = await cli(["audit", "anchor", "--git", anchors, "--json"], env);
    expect(anchored.code, anchored.stderr).toBe(0);
    const anchor = JSON.parse(anchored.stdout).anchor as { seq: number; hash: string };
    expect(anchor.seq).toBeGreaterThan(0);

    // An append that died half-way through its line (the head was never moved).
    const log = path.join(world.repoDir, "audit", "events.jsonl");
    appendFileSync(log, '{"action":"clone","outcome":"success","image":"shop:v1","se');
    const made = await cli(["clone", "shop:v1", "--json"], env);
    expect(made.code, made.stderr).toBe(0);
    const verified = await cli(["audit", "--verify", "--git", anchors], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/repaired at event \d+ .*torn last line \(\d+ bytes/);
    expect(verified.stdout).toMatch(new RegExp(`Anchor OK: event ${anchor.seq} matches git tag dbclone-audit/[0-9a-f]{16}/${anchor.seq}`));
    expect(readFileSync(`${log}.torn`, "utf8")).toContain('"image":"shop:v1","se');
    expect((await cli(["teardown", JSON.parse(made.stdout).id], env)).code).toBe(0);

    // Rewrite history: change who built the image, recompute every hash after it and the head.
    const events = readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent);
    let prevHash = events[0]!.prevHash;
    const forged = events.map((e, i) => {
      const { hash: _h, ...body } = { ...e, prevHash, ...(i === 0 ? { actor: "someone-else" } : {}) };
      const hash = hashEvent(body);
      prevHash = hash;
      return { ...body, hash };
    });
    writeFileSync(log, forged.map((e) => `${JSON.stringify(e)}\n`).join(""));
    writeFileSync(path.join(world.repoDir, "audit", "events.head"), `${JSON.stringify({ seq: forged.at(-1)!.seq, hash: prevHash })}\n`);
    // The chain alone cannot tell (no anchor in this directory)...
    const chainOnly = await cli(["audit", "--verify", "--git", world.root], env);
    expect(chainOnly.code, chainOnly.stderr).toBe(0);
    // ...the anchor can.
    const againstAnchor = await cli(["audit", "--verify", "--git", anchors], env);
    expect(againstAnchor.code).toBe(1);
    expect(againstAnchor.stderr).toMatch(
      new RegExp(`event ${anchor.seq} hashes to sha256:[0-9a-f]+, but git tag .* anchored ${anchor.hash}: the log was rewritten after it was anchored`),
    );
  }, 300_000);

  describe.skipIf(!canRunRegistry)("a pool of runners on one registry", () => {
    let registry: TestRegistry;
    beforeAll(async () => {
      registry = await startRegistry();
      const pusher = new OciRepository(registry.location, { cacheDir: path.join(world.root, "pusher-cache"), env: {} });
      const image = await world.repository.resolve(parseImageRef("shop:v1"));
      await pusher.push(image.manifest, await world.repository.pull(image));
    }, 120_000);
    afterAll(async () => {
      await registry?.stop();
    });

    it("two runners clone; a third home verifies both runners' chains and catches a forged segment", async () => {
      const runners: string[] = [];
      for (const name of ["runner-a", "runner-b"]) {
        const env = envFor(path.join(world.root, name), registry.location);
        const made = await cli(["clone", "shop:v1", "--json"], env);
        expect(made.code, made.stderr).toBe(0);
        expect((await cli(["teardown", JSON.parse(made.stdout).id], env)).code).toBe(0);
        const logDir = path.join(world.root, name, "cache", "audit");
        runners.push(
          execFileSync("find", [logDir, "-name", "runner-id"], { encoding: "utf8" })
            .trim()
            .split("\n")
            .map((f) => readFileSync(f, "utf8").trim())[0]!,
        );
      }
      expect(leaksUnder(world.root, [])).toEqual([]);

      const third = envFor(path.join(world.root, "auditor"), registry.location);
      const report = await cli(["audit", "--verify", "--json"], third);
      expect(report.code, report.stderr).toBe(0);
      const parsed = JSON.parse(report.stdout) as {
        ok: boolean;
        runners: Array<{ runner: string; ok: boolean; events: number; actions: Record<string, number> }>;
      };
      for (const id of runners) {
        const chain = parsed.runners.find((r) => r.runner === id);
        expect(chain, `runner ${id} in the registry`).toBeDefined();
        expect(chain).toMatchObject({ ok: true, actions: { pull: 1, clone: 1, teardown: 1 } });
      }

      // Forge runner A's newest segment: one event edited, the runner tag moved to it.
      const oci = new OciRepository(registry.location, { cacheDir: path.join(world.root, "forger"), env: {}, publishAudit: false });
      const artifacts = await oci.auditArtifacts();
      const { segments, lines } = await artifacts.readChain(runners[0]!);
      const last = segments.at(-1)!;
      const tail = lines.slice(last.fromSeq - 1).map((l) => l.replace('"outcome":"success"', '"outcome":"failure"'));
      await artifacts.publishSegment(
        { runner: last.runner, fromSeq: last.fromSeq, toSeq: last.toSeq, headHash: last.headHash, previous: last.previous },
        Buffer.from(`${tail.join("\n")}\n`),
      );
      const caught = await cli(["audit", "--verify"], third);
      expect(caught.code).toBe(1);
      expect(caught.stdout).toMatch(new RegExp(`Runner ${runners[0]} FAILS: line \\d+ does not match its own hash`));
      expect(caught.stdout).toMatch(new RegExp(`Runner ${runners[1]} OK`));
    }, 300_000);
  });
});
