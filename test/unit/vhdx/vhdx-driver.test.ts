import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VhdxDriver } from "../../../packages/core/src/disk/vhdx/driver.js";
import { checkVhdxPrerequisites } from "../../../packages/core/src/disk/vhdx/prerequisites.js";
import { createBaseDiskpart, createChildDiskpart, diskpartPath } from "../../../packages/core/src/disk/vhdx/scripts.js";
import { retryWithBackoff } from "../../../packages/core/src/disk/vhdx/retry.js";
import { buildPowerShellScript, psLiteral } from "../../../packages/core/src/runtime/powershell.js";
import { NotSupportedError, PrivilegeError } from "../../../packages/core/src/errors.js";
import { FakeRunner, StepLog } from "../sqlserver/fakes.js";
import { FakeWindows } from "../sqlserver/fake-windows.js";
import { expectGolden } from "../sqlserver/golden.js";
import {
  ATTACH_AND_MOUNT_PS,
  CHECK_ELEVATION_PS,
  DESCRIBE_PS,
  FORMAT_AND_MOUNT_PS,
  LIST_DISKS_PS,
  UNMOUNT_PS,
} from "../../../packages/core/src/disk/vhdx/scripts.js";

const NASTY = "C:\\dbclone\\O'Brien ] 販売 ‘q’\\disk.vhdx";

describe("PowerShell and diskpart text", () => {
  it("doubles every PowerShell single-quote character, typographic ones too", () => {
    expect(psLiteral("O'Brien ‘x’ $env:PATH `n")).toBe("'O''Brien ‘‘x’’ $env:PATH `n'");
  });
  it("passes values through $P only: the paths never appear in the script body", () => {
    const script = buildPowerShellScript(ATTACH_AND_MOUNT_PS, "C:\\T\\O'p.json", "C:\\T\\r.json");
    expect(script).toContain("[IO.File]::ReadAllText('C:\\T\\O''p.json'");
    expect(script.startsWith("$ErrorActionPreference = 'Stop'")).toBe(true);
    expect(script).toContain("exit 1");
    expectGolden("vhdx-attach-and-mount.ps1", script);
    expectGolden("vhdx-format-and-mount.ps1", buildPowerShellScript(FORMAT_AND_MOUNT_PS, "p.json", "r.json"));
    expectGolden("vhdx-unmount.ps1", buildPowerShellScript(UNMOUNT_PS, "p.json", "r.json"));
    expectGolden("vhdx-list.ps1", buildPowerShellScript(LIST_DISKS_PS, "p.json", "r.json"));
  });
  // The fake Windows host answers these two by name without reading them: an emptied or edited
  // script (an elevation check that no longer asks for Administrator, a size read from the wrong
  // property) would pass every driver test and fail only on a real Windows runner.
  it("pins the elevation check and the sealed disk's description, which the fake host answers without reading", () => {
    expectGolden("vhdx-check-elevation.ps1", buildPowerShellScript(CHECK_ELEVATION_PS, "p.json", "r.json"));
    expectGolden("vhdx-describe.ps1", buildPowerShellScript(DESCRIBE_PS, "p.json", "r.json"));
    expect(CHECK_ELEVATION_PS).toMatch(/IsInRole\(\[Security\.Principal\.WindowsBuiltInRole\]::Administrator\)/);
  });
  it("quotes diskpart paths with spaces, quotes and unicode, and refuses what it cannot hold", () => {
    expectGolden("vhdx-diskpart.txt", createBaseDiskpart(NASTY, 10 * 1024 ** 3 + 1) + createChildDiskpart("C:\\clones\\c 1\\child.vhdx", NASTY));
    expect(() => diskpartPath('C:\\a"b.vhdx')).toThrow(/double quote/);
    expect(() => diskpartPath("relative\\x.vhdx")).toThrow(/absolute/);
    expect(() => diskpartPath("C:\\a\nb")).toThrow(/control/);
  });
  it("formats NTFS with 64K clusters, GPT, no default drive letter, attached without a letter", () => {
    expect(FORMAT_AND_MOUNT_PS).toMatch(/-PartitionStyle GPT/);
    expect(FORMAT_AND_MOUNT_PS).toMatch(/-FileSystem NTFS -AllocationUnitSize 65536/);
    expect(FORMAT_AND_MOUNT_PS).toMatch(/-NoDefaultDriveLetter \$true/);
    expect(ATTACH_AND_MOUNT_PS).toMatch(/Mount-DiskImage -ImagePath \$P\.file -NoDriveLetter/);
  });
});

describe("VhdxDriver (fake runner, real files)", () => {
  let dir: string;
  let log: StepLog;
  let runner: FakeRunner;
  let driver: VhdxDriver;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "vhdx-test-"));
    log = new StepLog();
    runner = new FakeRunner(log);
    // The host's own path semantics: real temp files are C:\… on Windows and /tmp/… here.
    driver = new VhdxDriver({ stateDir: path.join(dir, "state"), runner, paths: path, sleep: async () => {} });
  });
  afterEach(async () => {
    await chmod(dir, 0o755).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  it("creates staging with diskpart then formats and mounts with the path as a parameter", async () => {
    runner.results.set("format and mount staging", { diskNumber: 3, partitionNumber: 2, accessPath: "x" });
    const s = await driver.createStaging(path.join(dir, "s.vhdx"), path.join(dir, "mnt"), 1 << 30);
    expect(log.entries).toEqual(["diskpart: create staging vhdx", "powershell: format and mount staging"]);
    expect(runner.scripts[1]!.params).toEqual({ file: path.join(dir, "s.vhdx"), mountPath: path.join(dir, "mnt"), label: "dbclone" });
    expect(s.attachment.handles).toEqual({ diskNumber: 3, partitionNumber: 2 });
  });

  it("seals: detaches, moves, marks read-only, records the digest; then clones only a read-only base", async () => {
    const file = path.join(dir, "s.vhdx");
    await writeFile(file, "vhdx bytes");
    runner.results.set("describe sealed vhdx", { virtualSizeBytes: 1 << 30 });
    const sealed = await driver.seal(
      { file, mountPath: path.join(dir, "mnt"), attachment: { driver: "vhdx", file, mountPath: path.join(dir, "mnt"), handles: {} } },
      path.join(dir, "base.vhdx"),
    );
    expect(sealed.digest).toBe(`sha256:${createHash("sha256").update("vhdx bytes").digest("hex")}`);
    expect((await stat(sealed.file)).mode & 0o222).toBe(0);
    await driver.createChild(sealed.file, path.join(dir, "c", "child.vhdx"), sealed.digest);
    expect(runner.scripts.at(-1)!.body).toContain(`parent="${path.win32.normalize(sealed.file)}"`);
    await expect(driver.createChild(sealed.file, path.join(dir, "c2.vhdx"), "sha256:00")).rejects.toThrow(/has changed/);
    await chmod(sealed.file, 0o644);
    await expect(driver.createChild(sealed.file, path.join(dir, "c3.vhdx"))).rejects.toThrow(/writable; refusing/);
  });

  it("gives a digest-named blob a .vhdx hard link, since the virtual disk service picks the format by extension", async () => {
    const blob = path.join(dir, "blobs", "sha256", "ab".repeat(32));
    await mkdir(path.dirname(blob), { recursive: true });
    await writeFile(blob, "vhdx bytes");
    await chmod(blob, 0o444);
    const digest = `sha256:${createHash("sha256").update("vhdx bytes").digest("hex")}`;
    const child = await driver.createChild(blob, path.join(dir, "c", "child.vhdx"), digest);
    const script = runner.scripts.at(-1)!.body;
    expect(() => new FakeWindows().diskpart(script)).not.toThrow();
    expect(child.parents[0]).toMatch(/\.vhdx$/);
    expect((await stat(child.parents[0]!)).ino).toBe((await stat(blob)).ino);
    // A second clone reuses the same link.
    await expect(driver.createChild(blob, path.join(dir, "c2", "child.vhdx"), digest)).resolves.toMatchObject({ parents: child.parents });
  });

  it("lists attached disks as mounts before files, for gc to release in that order", async () => {
    runner.results.set("list disks", [
      { file: "C:\\r\\a.vhdx", attached: true, accessPaths: ["C:\\r\\mnt\\"] },
      { file: "C:\\r\\b.vhdx", attached: false, accessPaths: [] },
    ]);
    const found = await driver.list(dir);
    expect(found.map((r) => `${r.kind} ${r.id}`)).toEqual(["mount C:\\r\\a.vhdx", "file C:\\r\\a.vhdx", "file C:\\r\\b.vhdx"]);
  });

  it("retries a delete while a handle is open, then gives up with the error", async () => {
    let tries = 0;
    const busy = Object.assign(new Error("busy"), { code: "EBUSY" });
    await expect(retryWithBackoff(async () => (++tries < 3 ? Promise.reject(busy) : "ok"), { sleep: async () => {} })).resolves.toBe("ok");
    expect(tries).toBe(3);
    await expect(retryWithBackoff(() => Promise.reject(busy), { attempts: 2, sleep: async () => {} })).rejects.toThrow("busy");
  });

  it("checks the platform, then elevation, with a clear message", async () => {
    await expect(checkVhdxPrerequisites(runner, "linux")).rejects.toThrow(NotSupportedError);
    runner.results.set("check elevation", { admin: false, storageModule: true, user: "RUNNER\\dev" });
    await expect(checkVhdxPrerequisites(runner, "win32")).rejects.toThrow(PrivilegeError);
    runner.results.set("check elevation", { admin: true, storageModule: true, user: "x" });
    await expect(checkVhdxPrerequisites(runner, "win32")).resolves.toBeUndefined();
  });
});
