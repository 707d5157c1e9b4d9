// The clone driver choice: data-driven, in order of preference, with the reason each skipped
// driver is skipped; --disk allows only the driver asked for; DBCLONE_DISK only reorders.
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cloneDiskChoice } from "../../../packages/core/src/platform/index.js";
import { parsePoolSize } from "../../../packages/core/src/disk/index.js";
import { kernelHasXfs } from "../../../packages/core/src/disk/reflink/prerequisites.js";
import { NotSupportedError, UsageError } from "../../../packages/core/src/errors.js";

const linux = process.platform === "linux";
const hostEnv = { PATH: process.env.PATH };

describe("cloneDiskChoice", () => {
  it.skipIf(!linux)("prefers reflink by default (this host has its tools, loop devices and XFS) and qcow2 when DBCLONE_DISK=qcow2", () => {
    expect(cloneDiskChoice(undefined, hostEnv)).toEqual({ usable: ["reflink", "qcow2"], skipped: [] });
    expect(cloneDiskChoice(undefined, { ...hostEnv, DBCLONE_DISK: "qcow2" }).usable).toEqual(["qcow2", "reflink"]);
    expect(cloneDiskChoice("qcow2", hostEnv).usable).toEqual(["qcow2"]);
  });

  it.skipIf(!linux)("falls back to qcow2 where reflink cannot run, with the reason", () => {
    // A PATH with qemu-storage-daemon and friends but without xfs_growfs: reflink is skipped, qcow2 stays.
    const bin = mkdtempSync(path.join(os.tmpdir(), "dbclone-choice-"));
    try {
      for (const p of ["qemu-img", "qemu-storage-daemon", "mount", "umount", "losetup", "mkfs.xfs", "fusermount3", "fusermount", "sudo", "fstrim", "xfs_io"]) {
        const real = ["/usr/bin", "/usr/sbin", "/bin", "/sbin"].map((d) => path.join(d, p)).find((f) => existsSync(f));
        if (real) symlinkSync(real, path.join(bin, p));
      }
      const choice = cloneDiskChoice(undefined, { PATH: bin });
      expect(choice.skipped).toEqual([{ name: "reflink", reason: expect.stringMatching(/xfs_growfs not on PATH \(apt-get install xfsprogs\)/) }]);
      expect(choice.usable[0]).toBe("qcow2");
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("knows whether the kernel has XFS, loaded or as a module", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-fs-"));
    try {
      writeFileSync(path.join(dir, "without"), "nodev\tsysfs\n\text4\n\tbtrfs\n");
      writeFileSync(path.join(dir, "with"), "nodev\tsysfs\n\text4\n\txfs\n");
      expect(kernelHasXfs("no-such-release", path.join(dir, "without"))).toBe(false);
      expect(kernelHasXfs("no-such-release", path.join(dir, "missing"))).toBe(false);
      expect(kernelHasXfs("no-such-release", path.join(dir, "with"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("skips a driver whose tools are missing, saying which and what to install", () => {
    const choice = cloneDiskChoice(undefined, { PATH: path.join(__dirname, "no-such-dir"), DBCLONE_DISK: "reflink" });
    expect(choice.usable).toEqual([]);
    expect(choice.skipped.map((s) => s.name)).toEqual(["reflink", "qcow2"]);
    if (linux) expect(choice.skipped[0]!.reason).toMatch(/qemu-img.*not on PATH \(apt-get install .*xfsprogs/);
  });

  it("refuses an explicit --disk that cannot run here, naming why", () => {
    expect(() => cloneDiskChoice("reflink", { PATH: "/nonexistent" })).toThrow(NotSupportedError);
    expect(() => cloneDiskChoice("reflink", { PATH: "/nonexistent" })).toThrow(/--disk reflink cannot be used on this host: /);
  });

  it("refuses unknown driver names from --disk and DBCLONE_DISK", () => {
    expect(() => cloneDiskChoice("zfs", hostEnv)).toThrow(UsageError);
    expect(() => cloneDiskChoice(undefined, { ...hostEnv, DBCLONE_DISK: "../x" })).toThrow(/DBCLONE_DISK must be one of reflink, qcow2/);
  });
});

describe("parsePoolSize", () => {
  it("reads sizes with units", () => {
    expect(parsePoolSize("4G")).toBe(4 * 1024 ** 3);
    expect(parsePoolSize("512MiB")).toBe(512 * 1024 ** 2);
    expect(parsePoolSize(String(2 * 1024 ** 3))).toBe(2 * 1024 ** 3);
  });

  it("refuses garbage and pools too small for XFS", () => {
    expect(() => parsePoolSize("lots")).toThrow(/DBCLONE_POOL_SIZE must be a size such as 4G/);
    expect(() => parsePoolSize("100M")).toThrow(/at least 320 MB/);
  });
});
