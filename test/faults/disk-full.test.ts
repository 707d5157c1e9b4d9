// A full disk during publish and pull: a clear error naming the filesystem and its free space,
// and nothing partial published or cached. The full disk is a real 3 MiB tmpfs.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiskFullError, ImageNotFoundError } from "../../packages/core/src/errors.js";
import { parseImageRef } from "../../packages/core/src/image/reference.js";
import { openRepository, OciRepository } from "../../packages/core/src/repository/index.js";
import { makeDiskFile, manifestForDisk, type TestDisk } from "../unit/_helpers/manifest.js";
import { mixedData } from "../integration/oci/helpers.js";
import { canRunRegistry, startRegistry, type TestRegistry } from "../integration/oci/registry-fixture.js";

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("a full disk", () => {
  let work: string;
  let small: string;
  let disk: TestDisk;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), "dbclone-full-"));
    small = path.join(work, "small");
    mkdirSync(small);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", small]);
    disk = await makeDiskFile(work, mixedData(6 * 1024 * 1024), "base.qcow2");
  });
  afterAll(() => {
    if (small) execFileSync("umount", [small], { stdio: "ignore" });
    rmSync(work, { recursive: true, force: true });
  });

  const names = (dir: string) => readdirSync(dir).filter((f) => !f.endsWith(".lock"));

  it("publish: names the filesystem and its free space, and publishes nothing", async () => {
    const repoDir = path.join(small, "repository");
    const repo = await openRepository(repoDir, { cacheDir: path.join(work, "stamps") });
    const failed = repo.push(manifestForDisk(disk, { name: "big", version: "1" }), disk.path);
    await expect(failed).rejects.toThrow(DiskFullError);
    await expect(failed).rejects.toThrow(
      new RegExp(`no space left while publishing big:1 .*, on ${small} \\(tmpfs on tmpfs\\): [\\d.]+ (B|KiB|MiB) free of 3\\.0 MiB`),
    );
    await expect(repo.resolve(parseImageRef("big:1"))).rejects.toThrow(ImageNotFoundError);
    expect(names(path.join(repoDir, "blobs", "sha256"))).toEqual([]);
  });

  describe.skipIf(!canRunRegistry)("pull into a full cache", () => {
    let registry: TestRegistry;
    beforeAll(async () => {
      registry = await startRegistry();
    }, 30_000);
    afterAll(async () => {
      await registry?.stop();
    });

    it("names the cache's filesystem and caches nothing, not even a partial download", async () => {
      await new OciRepository(registry.location, { cacheDir: path.join(work, "pusher"), env: {} }).push(
        manifestForDisk(disk, { name: "big", version: "1" }),
        disk.path,
      );
      const cacheDir = path.join(small, "cache");
      const puller = new OciRepository(registry.location, { cacheDir, env: {}, publishAudit: false });
      const image = await puller.resolve(parseImageRef("big:1"));
      const failed = puller.pull(image);
      await expect(failed).rejects.toThrow(DiskFullError);
      await expect(failed).rejects.toThrow(new RegExp(`pulling big:1 into the cache, on ${small} \\(tmpfs on tmpfs\\)`));
      expect(names(path.join(cacheDir, "blobs", "sha256"))).toEqual([]);
      expect(names(path.join(cacheDir, "partial"))).toEqual([]);
    });
  });
});
