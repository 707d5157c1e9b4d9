// OciRepository against a real docker-registry (distribution 2.8) on the loopback.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DigestMismatchError,
  ImageInUseError,
  ImageNotFoundError,
  NotSupportedError,
  RepositoryError,
  VersionExistsError,
} from "../../../packages/core/src/errors.js";
import { parseImageRef } from "../../../packages/core/src/image/reference.js";
import { openRepository } from "../../../packages/core/src/repository/index.js";
import { OciRepository, type OciRepositoryOptions } from "../../../packages/core/src/repository/oci/index.js";
import { makeDiskFile, manifestForDisk, type TestDisk } from "../../unit/_helpers/manifest.js";
import { isBlobGet, mixedData, recordingFetch, type SeenRequest } from "./helpers.js";
import { blobDataFile, canRunRegistry, canUseHtpasswd, startRegistry, type TestRegistry } from "./registry-fixture.js";

describe.skipIf(!canRunRegistry)("OCI repository on docker-registry, anonymous", () => {
  let registry: TestRegistry;
  let work: string;
  let disk: TestDisk;
  let seen: SeenRequest[];
  const open = (cache: string, extra: OciRepositoryOptions = {}) =>
    new OciRepository(registry.location, {
      cacheDir: path.join(work, cache),
      env: {},
      dockerConfig: path.join(work, "none.json"),
      fetch: recordingFetch(seen),
      ...extra,
    });

  beforeAll(async () => {
    registry = await startRegistry();
    work = mkdtempSync(path.join(os.tmpdir(), "dbclone-oci-"));
    disk = await makeDiskFile(work, mixedData(6 * 1024 * 1024), "base.qcow2");
  }, 30_000);
  afterAll(async () => {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  afterEach(() => {
    seen = [];
  });
  seen = [];

  it("pushes in chunks, then pulls the verified disk into another runner's cache", async () => {
    const pusher = open("cache-push", { chunkSizeBytes: 1024 * 1024 });
    const published = await pusher.push(manifestForDisk(disk, { version: "1.0.0" }), disk.path);
    expect(seen.filter((r) => r.method === "PATCH").length).toBeGreaterThan(2);
    expect(seen.some((r) => r.method === "PUT" && r.url.includes("/manifests/1.0.0") && r.status === 201)).toBe(true);

    const puller = open("cache-pull");
    const resolved = await puller.resolve(parseImageRef("orders-db:1.0.0"));
    expect(resolved.manifestDigest).toBe(published.manifestDigest);
    const progress: number[] = [];
    const blob = await puller.pull(resolved, { onProgress: (done) => progress.push(done) });
    expect(blob).toBe(path.join(work, "cache-pull", "blobs", "sha256", disk.digest.slice(7)));
    expect(readFileSync(blob).equals(readFileSync(disk.path))).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    // A second pull comes from the cache: no blob download.
    seen.length = 0;
    expect(await puller.pull(resolved)).toBe(blob);
    // (Requests to dbclone-audit are this runner's audit chain being published, not the image.)
    expect(seen.some((r) => r.url.includes("/blobs/") && !r.url.includes("/dbclone-audit/"))).toBe(false);
    const events = await puller.audit.read({ action: "pull" });
    expect(events.map((e) => e.detail)).toEqual([expect.stringContaining("downloaded"), "from the local cache"]);
    expect((await puller.audit.verify()).ok).toBe(true);
  });

  it("refuses to overwrite a version, and skips uploading a disk the registry already has", async () => {
    const pusher = open("cache-push");
    await expect(pusher.push(manifestForDisk(disk, { version: "1.0.0" }), disk.path)).rejects.toThrow(VersionExistsError);
    seen.length = 0;
    await pusher.push(manifestForDisk(disk, { version: "1.0.1", labels: { variant: "b" } }), disk.path);
    expect(seen.filter((r) => r.method === "PATCH")).toHaveLength(0);
    expect((await pusher.audit.read({ action: "publish", outcome: "failure" })).length).toBe(1);
  });

  it("points movable tags at versions, lists them, resolves by tag and digest", async () => {
    const repo = await openRepository(registry.location, { cacheDir: path.join(work, "cache-tags"), oci: { env: {} } });
    const v1 = await repo.resolve(parseImageRef("orders-db:1.0.0"));
    await repo.tag(v1, "latest");
    const v2 = await repo.resolve(parseImageRef("orders-db:1.0.1"));
    await repo.tag(v2, "latest");
    expect(await repo.tags("orders-db")).toEqual({ latest: "1.0.1" });
    expect((await repo.resolve(parseImageRef("orders-db"))).version).toBe("1.0.1");
    expect((await repo.resolve(parseImageRef(`orders-db@${v1.manifestDigest}`))).version).toBe("1.0.0");
    const list = await repo.list("orders-db");
    expect(list.map((i) => [i.version, i.tags, i.diskSizeBytes])).toEqual([
      ["1.0.0", [], disk.sizeBytes],
      ["1.0.1", ["latest"], disk.sizeBytes],
    ]);
    expect((await repo.list()).length).toBe(2); // via /v2/_catalog under the namespace
    await expect(repo.tag(v1, "1.0.1")).rejects.toThrow(/must not shadow a version/);
    await expect(repo.resolve(parseImageRef("orders-db:9.9.9"))).rejects.toThrow(ImageNotFoundError);
  });

  it("deletes a version by digest, refusing while a tag or live clone uses it", async () => {
    const repo = open("cache-tags");
    const v2 = await repo.resolve(parseImageRef("orders-db:1.0.1"));
    await expect(repo.delete(v2, { liveCloneDigests: [] })).rejects.toThrow(ImageInUseError);
    await expect(repo.delete(v2, { liveCloneDigests: [v2.manifestDigest], force: true })).rejects.toThrow(/a live clone/);
    // distribution 2.8 cannot delete a tag alone: a clear NotSupportedError, and nothing removed.
    await expect(repo.untag("orders-db", "latest")).rejects.toThrow(NotSupportedError);
    await repo.delete(v2, { liveCloneDigests: [], force: true });
    await expect(repo.resolve(parseImageRef("orders-db:1.0.1"))).rejects.toThrow(ImageNotFoundError);
    await expect(repo.resolve(parseImageRef("orders-db:latest"))).rejects.toThrow(ImageNotFoundError);
    expect((await repo.list("orders-db")).map((i) => i.version)).toEqual(["1.0.0"]);
  });

  it("resumes an interrupted pull with a Range request", async () => {
    const repo = open("cache-resume");
    const image = await repo.resolve(parseImageRef("orders-db:1.0.0"));
    const abort = new AbortController();
    const first = repo.pull(image, { signal: abort.signal, onProgress: (done) => done > 1024 * 1024 && abort.abort() });
    await expect(first).rejects.toThrow(/abort/i);
    const partials = readdirSync(path.join(work, "cache-resume", "partial")).filter((f) => !f.endsWith(".lock"));
    expect(partials).toHaveLength(1);
    seen.length = 0;
    const blob = await repo.pull(image);
    expect(readFileSync(blob).equals(readFileSync(disk.path))).toBe(true);
    const get = seen.find((r) => r.method === "GET" && r.url.includes("/blobs/") && r.range);
    expect(get?.range).toMatch(/^bytes=\d+-$/);
    expect(get?.status).toBe(206);
    const stats = repo.lastDownload!;
    expect(stats.resumedFrom).toBeGreaterThan(1024 * 1024);
    expect(stats.resumedFrom + stats.received).toBeLessThan(disk.sizeBytes); // layer bytes, compressed: nothing fetched twice
    expect(readdirSync(path.join(work, "cache-resume", "partial")).filter((f) => !f.endsWith(".lock"))).toEqual([]);
  });

  it("downloads once for concurrent pulls of one image over one cache dir", async () => {
    const a = open("cache-shared");
    const b = open("cache-shared");
    const image = await a.resolve(parseImageRef("orders-db:1.0.0"));
    seen.length = 0;
    const [pa, pb] = await Promise.all([a.pull(image), b.pull(image)]);
    expect(pa).toBe(pb);
    const layer = seen.filter((r) => r.method === "GET" && r.url.includes("/blobs/") && !r.url.includes(image.manifestDigest));
    expect(layer).toHaveLength(1);
  });

  it("fails a corrupted registry blob with DigestMismatchError and caches nothing", async () => {
    const pusher = open("cache-push");
    const other = await makeDiskFile(work, mixedData(2 * 1024 * 1024), "other.qcow2");
    await pusher.push(manifestForDisk(other, { name: "broken-db", version: "1" }), other.path);
    const fetched = await (
      await fetch(`http://127.0.0.1:${registry.port}/v2/team/broken-db/manifests/1`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } })
    ).json();
    const layerDigest = (fetched as { layers: { digest: string }[] }).layers[0]!.digest;
    const file = blobDataFile(registry.storageDir, layerDigest);
    const bytes = readFileSync(file);
    for (let i = 1000; i < 1100; i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(file, bytes);

    const repo = open("cache-corrupt");
    const image = await repo.resolve(parseImageRef("broken-db:1"));
    await expect(repo.pull(image)).rejects.toThrow(DigestMismatchError);
    const cacheDir = path.join(work, "cache-corrupt");
    expect(readdirSync(path.join(cacheDir, "blobs", "sha256")).filter((f) => !f.endsWith(".lock"))).toEqual([]);
    expect(readdirSync(path.join(cacheDir, "partial"))).toEqual([]);
    expect((await repo.audit.read({ action: "pull", outcome: "failure" })).length).toBe(1);
    expect(seen.some((r) => isBlobGet(r, layerDigest))).toBe(true);
  });
});

describe.skipIf(!canRunRegistry || !canUseHtpasswd)("OCI repository on docker-registry, basic auth", () => {
  let registry: TestRegistry;
  let work: string;
  const creds = { user: "ci-bot", password: "s3cret-Pa55" };

  beforeAll(async () => {
    registry = await startRegistry({ basicAuth: creds });
    work = mkdtempSync(path.join(os.tmpdir(), "dbclone-oci-auth-"));
  }, 30_000);
  afterAll(async () => {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("pushes and pulls with credentials from the environment, and never reports the password", async () => {
    const secrets: string[] = [];
    const reporter = { debug() {}, info() {}, warn() {}, secret: (s: string) => void secrets.push(s), progress: () => ({ update() {}, finish() {} }) };
    const env = { DBCLONE_REGISTRY_USER: creds.user, DBCLONE_REGISTRY_PASSWORD: creds.password };
    const disk = await makeDiskFile(work, mixedData(512 * 1024));
    const pusher = new OciRepository(registry.location, { cacheDir: path.join(work, "a"), env, reporter });
    await pusher.push(manifestForDisk(disk), disk.path);
    expect(secrets).toContain(creds.password);

    // Credentials from ~/.docker/config.json (auths, base64 user:password).
    const dockerConfig = path.join(work, "config.json");
    writeFileSync(
      dockerConfig,
      JSON.stringify({ auths: { [`127.0.0.1:${registry.port}`]: { auth: Buffer.from(`${creds.user}:${creds.password}`).toString("base64") } } }),
    );
    const puller = new OciRepository(registry.location, { cacheDir: path.join(work, "b"), env: {}, dockerConfig });
    const blob = await puller.pull(await puller.resolve(parseImageRef("orders-db:1.0.0")));
    expect(readFileSync(blob).equals(readFileSync(disk.path))).toBe(true);
    const log = readFileSync(puller.audit.filePath, "utf8") + readFileSync(pusher.audit.filePath, "utf8");
    expect(log).not.toContain(creds.password);
  });

  it("says which credentials to set when anonymous access is refused", async () => {
    const anonymous = new OciRepository(registry.location, { cacheDir: path.join(work, "c"), env: {}, dockerConfig: path.join(work, "none.json") });
    const err = await anonymous.resolve(parseImageRef("orders-db:1.0.0")).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RepositoryError);
    expect((err as Error).message).toMatch(/refused anonymous access.*DBCLONE_REGISTRY_USER/);
    const wrong = new OciRepository(registry.location, { cacheDir: path.join(work, "c"), credentials: { username: creds.user, password: "nope" } });
    await expect(wrong.resolve(parseImageRef("orders-db:1.0.0"))).rejects.toThrow(/refused user 'ci-bot'/);
  });
});
