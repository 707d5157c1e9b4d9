// Real processes racing on one directory repository, and a publisher killed mid-copy.
import { randomBytes } from "node:crypto";
import { open, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../../packages/core/src/audit/index.js";
import { sha256File } from "../../../packages/core/src/image/digest.js";
import { FsRepository } from "../../../packages/core/src/repository/index.js";
import { parseImageRef } from "../../../packages/core/src/image/reference.js";
import { makeDiskFile, manifestForDisk } from "../../unit/_helpers/manifest.js";
import { bundleRepositoryModule, startPublisher, type ChildResult } from "./child-publisher.js";
import type { ChildProcess } from "node:child_process";

let dir: string;
let bundle: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-repo-int-"));
  bundle = path.join(dir, "repository.bundle.mjs");
  await bundleRepositoryModule(bundle);
}, 60_000);
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every file under blobs/sha256 that is not a temp must hash to its own name. */
async function expectBlobsVerify(root: string): Promise<string[]> {
  const blobsDir = path.join(root, "blobs", "sha256");
  const names = (await readdir(blobsDir)).filter((n) => !n.startsWith(".tmp-"));
  for (const n of names) expect(await sha256File(path.join(blobsDir, n))).toBe(`sha256:${n}`);
  return names;
}

describe("directory repository under concurrent processes", () => {
  it("lets exactly one of 8 processes publish the same version", async () => {
    const root = path.join(dir, "race");
    const cache = path.join(dir, "cache-race");
    const jobs: Promise<ChildResult>[] = [];
    const digests: string[] = [];
    for (let i = 0; i < 8; i++) {
      // Different disks: a real conflict, not 8 identical writes.
      const disk = await makeDiskFile(dir, randomBytes(256 * 1024));
      const manifestFile = path.join(dir, `race-${i}.json`);
      await writeFile(manifestFile, JSON.stringify(manifestForDisk(disk, { labels: { publisher: String(i) } })));
      digests.push(disk.digest);
      const { child, done } = startPublisher([bundle, root, manifestFile, disk.path, cache]);
      children.push(child);
      jobs.push(done);
    }
    const results = await Promise.all(jobs);
    const winners = results.filter((r) => r.ok);
    const losers = results.filter((r) => !r.ok);
    expect(winners, JSON.stringify(results, null, 1)).toHaveLength(1);
    for (const l of losers) {
      expect(l.name).toBe("VersionExistsError");
      expect(l.message).toBe("image orders-db version 1.0.0 already exists; versions are immutable: choose a new version");
    }

    const repo = new FsRepository(root, { cacheDir: cache });
    const image = await repo.resolve(parseImageRef("orders-db:1.0.0"));
    expect(image.manifestDigest).toBe(winners[0]!.manifestDigest);
    expect(await repo.pull(image)).toContain(image.manifest.disk.digest.slice(7));
    // Losers that got as far as copying removed their unreferenced blobs.
    expect(await expectBlobsVerify(root)).toEqual([image.manifest.disk.digest.slice(7)]);
    const audit = new AuditLog(path.join(root, "audit", "events.jsonl"));
    expect(await audit.verify()).toEqual({ ok: true, events: 8 });
    const events = await audit.read({ action: "publish" });
    expect(events.filter((e) => e.outcome === "success")).toHaveLength(1);
    expect(events.filter((e) => e.outcome === "failure")).toHaveLength(7);
  }, 60_000);

  it("leaves no visible version after a publisher is SIGKILLed mid-blob, and the next publish succeeds", async () => {
    const root = path.join(dir, "killed");
    const cache = path.join(dir, "cache-killed");
    // 200 MB sparse file: free to create; the child copies it slowly (throttled) so we can kill it mid-copy.
    const diskPath = path.join(dir, "big.qcow2");
    const fh = await open(diskPath, "w");
    await fh.write("dbclone", 100 * 1024 * 1024);
    await fh.truncate(200 * 1024 * 1024);
    await fh.close();
    const disk = { path: diskPath, digest: await sha256File(diskPath), sizeBytes: 200 * 1024 * 1024 };
    const manifestFile = path.join(dir, "killed.json");
    await writeFile(manifestFile, JSON.stringify(manifestForDisk(disk)));

    const { child, done } = startPublisher([bundle, root, manifestFile, disk.path, cache], { THROTTLE_MS: "20" });
    children.push(child);
    const blobsDir = path.join(root, "blobs", "sha256");
    const deadline = Date.now() + 20_000;
    let temp: string | undefined;
    while (!temp && Date.now() < deadline) {
      const names = await readdir(blobsDir).catch(() => [] as string[]);
      const t = names.find((n) => n.startsWith(".tmp-"));
      if (t && (await stat(path.join(blobsDir, t)).catch(() => undefined))?.size) temp = t;
      else await new Promise((r) => setTimeout(r, 10));
    }
    expect(temp, "the publisher never started copying").toBeDefined();
    child.kill("SIGKILL");
    const result = await done;
    expect(result.signal).toBe("SIGKILL");

    const repo = new FsRepository(root, { cacheDir: cache });
    await expect(repo.resolve(parseImageRef("orders-db:1.0.0"))).rejects.toThrow(/not found/);
    expect(await repo.list()).toEqual([]);
    expect(await expectBlobsVerify(root)).toEqual([]);
    const left = await readdir(blobsDir);
    expect(left.every((n) => n.startsWith(".tmp-"))).toBe(true);
    const copied = (await stat(path.join(blobsDir, temp!))).size;
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThan(disk.sizeBytes);

    const started = Date.now();
    const published = await repo.push(manifestForDisk(disk), disk.path);
    const publishMs = Date.now() - started;
    expect(published.version).toBe("1.0.0");
    expect(await readdir(blobsDir)).toEqual([disk.digest.slice(7)]); // the dead publisher's temp is gone
    expect(await repo.audit.verify()).toEqual({ ok: true, events: 1 });

    // Pull of a freshly published blob uses the stamp recorded at publish time: no re-hash.
    let hashed = 0;
    const pullStarted = process.hrtime.bigint();
    await repo.pull(published, { onProgress: () => hashed++ });
    const pullMs = Number(process.hrtime.bigint() - pullStarted) / 1e6;
    expect(hashed).toBe(0);
    console.log(`publish 200 MB: ${publishMs} ms; verified pull: ${pullMs.toFixed(1)} ms`);
  }, 60_000);
});
