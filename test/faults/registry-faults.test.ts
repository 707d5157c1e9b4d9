// Registry faults, for real: a fault-injecting proxy in front of docker-registry returns 5xx and
// 429 bursts, resets connections mid-blob (download and upload), truncates bodies and answers
// slowly. Push and pull must succeed with their retries logged, or fail cleanly past the deadline
// with nothing published and nothing partial cached.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RepositoryError } from "../../packages/core/src/errors.js";
import { parseImageRef } from "../../packages/core/src/image/reference.js";
import type { Reporter } from "../../packages/core/src/reporter.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { OciRepository, type OciRepositoryOptions } from "../../packages/core/src/repository/oci/index.js";
import { makeDiskFile, manifestForDisk, type TestDisk } from "../unit/_helpers/manifest.js";
import { mixedData } from "../integration/oci/helpers.js";
import { canRunRegistry, startRegistry, type TestRegistry } from "../integration/oci/registry-fixture.js";
import { startFaultProxy, type FaultProxy } from "../fixtures/fault-proxy/proxy.js";

const BLOB = /\/blobs\/sha256:/;
const UPLOAD = /\/blobs\/uploads\//;

describe.skipIf(!canRunRegistry)("push and pull through a faulty network to a real registry", () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let work: string;
  let disk: TestDisk;
  let logged: string[];
  let version = 0;
  const reporter: Reporter = { ...silentReporter, info: (m) => logged.push(m), warn: (m) => logged.push(m) };
  const open = (cache: string, extra: OciRepositoryOptions = {}) =>
    new OciRepository(`oci://127.0.0.1:${proxy.port}/team`, {
      cacheDir: path.join(work, cache),
      env: {},
      dockerConfig: path.join(work, "none.json"),
      chunkSizeBytes: 1024 * 1024,
      reporter,
      // Short backoff: the behaviour, not the waiting, is under test.
      retry: { minDelayMs: 20, maxDelayMs: 200, retries: 6 },
      ...extra,
    });
  const retriesLogged = () => logged.filter((m) => /registry: .* failed \(.*\); retry \d+ of \d+/.test(m)).length;
  /** Push a fresh version (so nothing is skipped as already there) and pull it into a fresh cache. */
  async function pushAndPull(name: string, extra: OciRepositoryOptions = {}, beforePull?: (layer: RegExp) => void) {
    const v = `1.0.${++version}`;
    const pusher = open(`push-${v}`, extra);
    const published = await pusher.push(manifestForDisk(disk, { name, version: v }), disk.path);
    const puller = open(`pull-${v}`, extra);
    const image = await puller.resolve(parseImageRef(`${name}:${v}`));
    // GETs of the disk layer only (not of the config blob, whose digest is the image id).
    beforePull?.(new RegExp(`/${name}/blobs/sha256:(?!${image.manifestDigest.slice(7)})`));
    const blob = await puller.pull(image);
    expect(readFileSync(blob).equals(readFileSync(disk.path))).toBe(true);
    expect(image.manifestDigest).toBe(published.manifestDigest);
    return { pusher, puller };
  }

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy({ host: "127.0.0.1", port: registry.port });
    work = mkdtempSync(path.join(os.tmpdir(), "dbclone-faults-"));
    disk = await makeDiskFile(work, mixedData(5 * 1024 * 1024), "base.qcow2");
  }, 30_000);
  afterAll(async () => {
    await proxy?.close();
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  beforeEach(() => {
    logged = [];
    proxy.setRules([]);
    proxy.seen.length = 0;
  });

  it("rides out bursts of 503 and a 429 with Retry-After, logging each retry", async () => {
    proxy.setRules([
      { method: "PATCH", fault: { kind: "status", status: 503 }, times: 2 },
      { method: "HEAD", fault: { kind: "status", status: 502 }, times: 2 },
      { method: "GET", path: BLOB, fault: { kind: "status", status: 429, retryAfter: "1" }, times: 1 },
      { method: "GET", path: /\/manifests\//, fault: { kind: "status", status: 500 }, times: 2 },
    ]);
    const started = performance.now();
    const { pusher, puller } = await pushAndPull("burst-db");
    expect(proxy.injected()).toBe(7);
    expect(pusher.lastOperation!.retries).toBeGreaterThanOrEqual(4);
    expect(puller.lastOperation).toBeDefined();
    expect(performance.now() - started).toBeGreaterThan(1000); // the Retry-After was honoured
    expect(retriesLogged()).toBeGreaterThanOrEqual(7);
    expect(logged.some((m) => /push of burst-db:.*: \d+ registry retr/.test(m))).toBe(true);
    // A failed chunk is re-sent only after asking the registry how far the upload got.
    expect(proxy.seen.some((s) => s.method === "GET" && UPLOAD.test(s.path))).toBe(true);
  });

  it("resumes a layer whose download is reset or truncated mid-blob with a Range request", async () => {
    let layer = /$^/;
    const { puller } = await pushAndPull("resume-db", {}, (l) => {
      layer = l;
      proxy.setRules([
        { method: "GET", path: l, fault: { kind: "reset-response", afterBytes: 700_000 }, times: 1 },
        { method: "GET", path: l, fault: { kind: "truncate-response", afterBytes: 500_000 }, times: 1 },
      ]);
    });
    const layerGets = proxy.seen.filter((s) => s.method === "GET" && layer.test(s.path));
    expect(layerGets.map((g) => g.fault)).toEqual(["reset-response", "truncate-response", undefined]);
    const ranged = layerGets.filter((s) => s.range);
    expect(ranged.length).toBe(2);
    expect(Number(/bytes=(\d+)-/.exec(ranged.at(-1)!.range!)![1])).toBeGreaterThanOrEqual(1_000_000);
    expect(puller.lastDownload!.resumedFrom).toBeGreaterThan(0);
    expect(puller.lastOperation!.reasons["short body"]).toBe(1);
    expect(readdirSync(path.join(work, `pull-1.0.${version}`, "partial"))).toEqual([]);
  });

  it("recovers a chunk upload reset part-way: asks the registry, and restarts the blob when it dropped the session", async () => {
    proxy.setRules([{ method: "PATCH", fault: { kind: "reset-request", afterBytes: 300_000 }, times: 2 }]);
    const { pusher } = await pushAndPull("chunk-db");
    const patches = proxy.seen.filter((s) => s.method === "PATCH");
    expect(patches.filter((p) => p.fault)).toHaveLength(2);
    expect(pusher.lastOperation!.retries).toBeGreaterThanOrEqual(2);
    // After a reset the client asks how far the upload got before sending again...
    expect(proxy.seen.some((s) => s.method === "GET" && UPLOAD.test(s.path))).toBe(true);
    // ...and docker-registry, which drops a session whose PATCH broke, gets a new session (POST) each time.
    expect(proxy.seen.filter((s) => s.method === "POST" && UPLOAD.test(s.path)).length).toBeGreaterThanOrEqual(3);
    expect(pusher.lastOperation!.reasons["upload session lost"]).toBe(2);
  });

  it("waits out slow answers, and retries one slower than the headers timeout", async () => {
    proxy.setRules([{ method: "GET", path: /\/manifests\//, fault: { kind: "delay", ms: 1500 }, times: 1 }, { fault: { kind: "delay", ms: 150 } }]);
    await pushAndPull("slow-db", { retry: { minDelayMs: 20, maxDelayMs: 200, retries: 6, headersTimeoutMs: 1000 } });
    expect(logged.filter((m) => /GET \/v2\/team\/slow-db\/manifests\/.* failed \(timeout\); retry 1/.test(m))).toHaveLength(1);
    expect(proxy.seen.filter((s) => s.fault === "delay").length).toBeGreaterThan(10);
  });

  it("fails cleanly past the deadline: nothing published, nothing partial cached", async () => {
    proxy.setRules([
      { method: "PATCH", fault: { kind: "status", status: 503 } },
      { method: "GET", path: BLOB, fault: { kind: "status", status: 503 } },
    ]);
    const deadline = { retry: { minDelayMs: 100, maxDelayMs: 400, retries: 50, deadlineMs: 2500 } };
    const pusher = open("push-deadline", deadline);
    const started = performance.now();
    const failed = pusher.push(manifestForDisk(disk, { name: "deadline-db", version: "1" }), disk.path);
    await expect(failed).rejects.toThrow(RepositoryError);
    await expect(failed).rejects.toThrow(/deadline reached/);
    const seconds = (performance.now() - started) / 1000;
    expect(seconds).toBeGreaterThan(2);
    expect(seconds).toBeLessThan(10);
    proxy.setRules([]);
    const direct = await fetch(`http://127.0.0.1:${registry.port}/v2/team/deadline-db/manifests/1`, { method: "HEAD" });
    expect(direct.status).toBe(404);

    // A version that exists, pulled while every blob GET fails: no blob, temp or partial cached.
    const ok = open("push-ok");
    const v2 = await ok.push(manifestForDisk(disk, { name: "deadline-db", version: "2" }), disk.path);
    const puller = open("pull-deadline", deadline);
    const image = await puller.resolve(parseImageRef("deadline-db:2"));
    // Every GET of the layer (not the config blob) fails from now on.
    proxy.setRules([{ method: "GET", path: new RegExp(`/blobs/sha256:(?!${v2.manifestDigest.slice(7)})`), fault: { kind: "status", status: 503 } }]);
    const pulling = performance.now();
    await expect(puller.pull(image)).rejects.toThrow(/deadline reached/);
    expect((performance.now() - pulling) / 1000).toBeLessThan(10);
    expect(logged.some((m) => /pull of deadline-db:2: \d+ registry retries/.test(m))).toBe(true);
    const cached = readdirSync(path.join(work, "pull-deadline", "blobs", "sha256"), { withFileTypes: true }).filter((e) => !e.name.endsWith(".lock"));
    expect(cached.map((e) => e.name)).toEqual([]);
  });
});
