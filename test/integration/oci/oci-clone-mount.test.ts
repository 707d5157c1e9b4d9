// Push a real sealed qcow2 base to docker-registry, pull it into another cache dir, and clone-mount
// the pulled blob with the qcow2 driver (createChild + mount + unmount + destroy). Needs root + FUSE.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Qcow2Driver, type DiskAttachment } from "../../../packages/core/src/disk/index.js";
import { parseImageRef } from "../../../packages/core/src/image/reference.js";
import { OciRepository } from "../../../packages/core/src/repository/oci/index.js";
import { forceCleanup } from "../disk/cleanup.js";
import { qcow2Unavailable, requireOrSkip } from "../required.js";
import { manifestForDisk } from "../../unit/_helpers/manifest.js";
import { canRunRegistry, startRegistry, type TestRegistry } from "./registry-fixture.js";

const skip = requireOrSkip(qcow2Unavailable());

describe.skipIf(!canRunRegistry || skip !== undefined)("a pulled OCI image clone-mounts with the qcow2 driver", () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "dbclone-oci-clone-"));
  let registry: TestRegistry;
  let driver: Qcow2Driver;
  let attachment: DiskAttachment | undefined;

  beforeAll(async () => {
    registry = await startRegistry();
    driver = new Qcow2Driver({ stateDir: path.join(root, "state") });
  }, 30_000);
  afterAll(async () => {
    if (attachment) await driver.unmount(attachment).catch(() => undefined);
    forceCleanup(root);
    await registry?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("pushes a sealed base, pulls it elsewhere and mounts a writable child of it", async () => {
    const staging = await driver.createStaging(path.join(root, "build", "staging.qcow2"), path.join(root, "build", "mnt"), 512 * 1024 * 1024);
    writeFileSync(path.join(staging.mountPath, "hello.txt"), "hello from the registry\n");
    const sealed = await driver.seal(staging, path.join(root, "base.qcow2"));
    const disk = { path: sealed.file, digest: sealed.digest, sizeBytes: sealed.sizeBytes };

    const pusher = new OciRepository(registry.location, { cacheDir: path.join(root, "runner-a"), env: {} });
    await pusher.push(manifestForDisk(disk, { name: "clone-me", version: "1" }), disk.path);
    const puller = new OciRepository(registry.location, { cacheDir: path.join(root, "runner-b"), env: {} });
    const image = await puller.resolve(parseImageRef("clone-me:1"));
    const blob = await puller.pull(image);
    expect(blob.startsWith(path.join(root, "runner-b", "blobs", "sha256"))).toBe(true);

    const child = await driver.createChild(blob, path.join(root, "clone", "child.qcow2"), image.manifest.disk.digest);
    attachment = await driver.mount(child, path.join(root, "clone", "mnt"));
    expect(readFileSync(path.join(attachment.mountPath, "hello.txt"), "utf8")).toBe("hello from the registry\n");
    writeFileSync(path.join(attachment.mountPath, "written-by-clone.txt"), "mine");
    await driver.unmount(attachment);
    attachment = undefined;
    await driver.destroy(child.file);
    expect(existsSync(child.file)).toBe(false);
    // The cached base was never written by the clone.
    expect(await puller.pull(image)).toBe(blob);
    expect(puller.lastDownload).toBeUndefined();
  }, 120_000);
});
