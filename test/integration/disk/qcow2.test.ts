// Real qemu-img, qemu-storage-daemon, FUSE, loop devices and XFS: needs root on Linux.
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  openSync,
  rmSync,
  writeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
  appendFileSync,
  mkdirSync,
  chmodSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Qcow2Driver } from "../../../packages/core/src/disk/index.js";
import type { DiskAttachment, SealedDisk } from "../../../packages/core/src/disk/index.js";
import { DigestMismatchError } from "../../../packages/core/src/errors.js";
import { requireOrSkip, qcow2Unavailable } from "../required.js";
import { forceCleanup } from "./cleanup.js";

const skip = requireOrSkip(qcow2Unavailable());
const MiB = 1024 * 1024;
const sha256 = (file: string) => `sha256:${createHash("sha256").update(readFileSync(file)).digest("hex")}`;
const mountsUnder = async (root: string) =>
  (await readFile("/proc/self/mountinfo", "utf8")).split("\n").filter((l) => (l.split(" ")[4] ?? "").startsWith(root));
// A daemon re-parented to PID 1 may linger as a zombie until init reaps it: that counts as gone.
const processGone = (pid: unknown) => {
  try {
    const stat = readFileSync(`/proc/${Number(pid)}/stat`, "utf8");
    return /\) [ZX] /.test(stat);
  } catch {
    return true;
  }
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe.skipIf(skip !== undefined)("Qcow2Driver (real qemu, root)", () => {
  const suiteRoot = mkdtempSync(path.join(os.tmpdir(), "dbclone-qcow2-"));
  let driver: Qcow2Driver;
  let base: SealedDisk;
  let testDir: string;
  let attachments: DiskAttachment[] = [];
  let testCount = 0;
  const payload = randomBytes(4 * MiB);

  beforeAll(async () => {
    driver = new Qcow2Driver({ stateDir: path.join(suiteRoot, "state") });
    const buildDir = path.join(suiteRoot, "build");
    const staging = await driver.createStaging(path.join(buildDir, "staging.qcow2"), path.join(buildDir, "mnt"), 512 * MiB);
    try {
      writeFileSync(path.join(staging.mountPath, "hello.txt"), "hello from the base\n");
      writeFileSync(path.join(staging.mountPath, "payload.bin"), payload);
      // Written then deleted: fstrim at seal time must keep it out of the blob.
      // fsync'd so it really reaches the disk (delayed allocation would otherwise never write it).
      const fd = openSync(path.join(staging.mountPath, "deleted.bin"), "w");
      writeSync(fd, randomBytes(16 * MiB));
      fsyncSync(fd);
      closeSync(fd);
      rmSync(path.join(staging.mountPath, "deleted.bin"));
      base = await driver.seal(staging, path.join(suiteRoot, "base.qcow2"));
    } finally {
      forceCleanup(buildDir);
    }
  }, 120_000);

  afterEach(async () => {
    for (const a of attachments) await driver.unmount(a).catch(() => {});
    attachments = [];
    const leftovers = forceCleanup(testDir);
    if (leftovers.length > 0) console.warn("safety net cleaned:", leftovers);
  }, 60_000);

  afterAll(() => {
    forceCleanup(suiteRoot);
  });

  const newTestDir = () => {
    testDir = path.join(suiteRoot, `t${++testCount}`);
    mkdirSync(testDir, { recursive: true });
    return testDir;
  };

  it("seals a staging disk into a read-only, compact blob with the right digest", () => {
    newTestDir();
    expect(base.file).toBe(path.join(suiteRoot, "base.qcow2"));
    expect(statSync(base.file).mode & 0o777).toBe(0o444);
    expect(base.digest).toBe(sha256(base.file));
    expect(base.virtualSizeBytes).toBe(512 * MiB);
    expect(base.sizeBytes).toBe(statSync(base.file).size);
    // ~4 MiB payload + XFS metadata; the deleted 16 MiB must have been trimmed away.
    expect(base.sizeBytes).toBeLessThan(16 * MiB);
    expect(base.sizeBytes).toBeGreaterThan(4 * MiB);
    expect(existsSync(path.join(suiteRoot, "build", "staging.qcow2.export.raw"))).toBe(false);
  });

  it("gives two children of one base isolated writes and never touches the base", async () => {
    const dir = newTestDir();
    const before = { sha: sha256(base.file), mtimeMs: statSync(base.file).mtimeMs };
    const a = await driver.createChild(base.file, path.join(dir, "a.qcow2"), base.digest);
    const b = await driver.createChild(base.file, path.join(dir, "b.qcow2"), base.digest);
    expect(a.parents).toEqual([base.file]);
    const ma = await driver.mount(a, path.join(dir, "a-mnt"));
    attachments.push(ma);
    const mb = await driver.mount(b, path.join(dir, "b-mnt"));
    attachments.push(mb);
    expect(readFileSync(path.join(ma.mountPath, "hello.txt"), "utf8")).toBe("hello from the base\n");
    expect(readFileSync(path.join(mb.mountPath, "payload.bin")).equals(payload)).toBe(true);
    writeFileSync(path.join(ma.mountPath, "only-in-a.txt"), "a");
    writeFileSync(path.join(ma.mountPath, "hello.txt"), "changed in a\n");
    writeFileSync(path.join(ma.mountPath, "big.bin"), randomBytes(8 * MiB));
    expect(existsSync(path.join(mb.mountPath, "only-in-a.txt"))).toBe(false);
    expect(readFileSync(path.join(mb.mountPath, "hello.txt"), "utf8")).toBe("hello from the base\n");
    await driver.unmount(ma);
    await driver.unmount(mb);
    attachments = [];
    // Remount a: its write survived in the child.
    const ma2 = await driver.mount(a, path.join(dir, "a-mnt"));
    attachments.push(ma2);
    expect(readFileSync(path.join(ma2.mountPath, "hello.txt"), "utf8")).toBe("changed in a\n");
    await driver.unmount(ma2);
    attachments = [];
    expect(statSync(a.file).size).toBeGreaterThan(8 * MiB);
    expect(sha256(base.file)).toBe(before.sha);
    expect(statSync(base.file).mtimeMs).toBe(before.mtimeMs);
  }, 60_000);

  it("leaves no mount, loop device, daemon or export file after unmount; destroy removes the child", async () => {
    const dir = newTestDir();
    const child = await driver.createChild(base.file, path.join(dir, "c.qcow2"));
    const att = await driver.mount(child, path.join(dir, "mnt"));
    attachments.push(att);
    expect(typeof att.handles.daemonPid).toBe("number");
    expect(att.handles.loopDevice).toMatch(/^\/dev\/loop\d+$/);
    const kinds = (await driver.list(dir)).map((r) => r.kind).sort();
    expect(kinds).toEqual(["daemon", "file", "file", "fuse-export", "loop", "mount"]); // child + pidfile
    await driver.unmount(att);
    attachments = [];
    expect(await mountsUnder(dir)).toEqual([]);
    expect(processGone(att.handles.daemonPid)).toBe(true);
    expect(existsSync(String(att.handles.exportFile))).toBe(false);
    expect(existsSync(String(att.handles.pidFile))).toBe(false);
    expect(await driver.list(dir)).toEqual([{ kind: "file", id: child.file, ownerDir: dir }]);
    await driver.destroy(child.file);
    await driver.destroy(child.file); // tolerant of missing
    expect(existsSync(child.file)).toBe(false);
    expect(await driver.list(dir)).toEqual([]);
    await driver.unmount(att); // tolerant of everything already gone
  }, 60_000);

  it("recovers from a SIGKILLed qemu-storage-daemon: list reports the leftovers, unmount cleans them", async () => {
    const dir = newTestDir();
    const child = await driver.createChild(base.file, path.join(dir, "k.qcow2"));
    const att = await driver.mount(child, path.join(dir, "mnt"));
    attachments.push(att);
    process.kill(Number(att.handles.daemonPid), "SIGKILL");
    await new Promise((r) => setTimeout(r, 100));
    const found = await driver.list(dir);
    const fuse = found.find((r) => r.kind === "fuse-export");
    expect(fuse?.id).toBe(att.handles.exportFile);
    expect(found.some((r) => r.kind === "mount" && r.id === att.mountPath)).toBe(true);
    expect(found.some((r) => r.kind === "daemon")).toBe(false);
    await driver.unmount(att);
    attachments = [];
    expect(await mountsUnder(dir)).toEqual([]);
    expect((await driver.list(dir)).map((r) => r.id)).toEqual([child.file]);
  }, 60_000);

  it("release() removes every leftover of a crashed clone, in list order", async () => {
    const dir = newTestDir();
    const child = await driver.createChild(base.file, path.join(dir, "r.qcow2"));
    const att = await driver.mount(child, path.join(dir, "mnt"));
    attachments.push(att);
    const live = await driver.list(dir);
    expect(live.map((r) => r.kind)).toEqual(["mount", "loop", "daemon", "fuse-export", "file", "file"]);
    for (const r of live) await driver.release(r);
    attachments = [];
    expect(await mountsUnder(dir)).toEqual([]);
    expect(processGone(att.handles.daemonPid)).toBe(true);
    expect(await driver.list(dir)).toEqual([]);
  }, 60_000);

  it("refuses a changed base with DigestMismatchError, also after the digest was cached", async () => {
    const dir = newTestDir();
    const copy = path.join(dir, "copy.qcow2");
    copyFileSync(base.file, copy);
    chmodSync(copy, 0o644);
    await driver.createChild(copy, path.join(dir, "ok.qcow2"), base.digest); // hashes and caches
    await driver.createChild(copy, path.join(dir, "ok2.qcow2"), base.digest); // from the cache
    appendFileSync(copy, Buffer.from([0]));
    const err = await driver.createChild(copy, path.join(dir, "bad.qcow2"), base.digest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect((err as Error).message).toMatch(/has changed.*pull the image again/s);
    expect(existsSync(path.join(dir, "bad.qcow2"))).toBe(false);
  }, 60_000);

  it("creates and mounts a clone fast (median of 10) and tears it down fast", async () => {
    const dir = newTestDir();
    const up: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < 10; i++) {
      let t = performance.now();
      const child = await driver.createChild(base.file, path.join(dir, `p${i}.qcow2`), base.digest);
      const att = await driver.mount(child, path.join(dir, `p${i}-mnt`));
      up.push(performance.now() - t);
      attachments.push(att);
      expect(existsSync(path.join(att.mountPath, "hello.txt"))).toBe(true);
      t = performance.now();
      await driver.unmount(att);
      await driver.destroy(child.file);
      down.push(performance.now() - t);
      attachments = [];
    }
    const result = { createChildPlusMountMs: median(up), unmountPlusDestroyMs: median(down), samplesUp: up.map(Math.round), samplesDown: down.map(Math.round) };
    console.log("qcow2 timings", JSON.stringify(result));
    // Generous bound for a shared 2-core machine; the numbers are the report.
    expect(result.createChildPlusMountMs).toBeLessThan(1000);
  }, 120_000);
});
