import { mkdtempSync, rmSync, writeFileSync, chmodSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Qcow2Driver } from "../../../packages/core/src/disk/index.js";
import { checkQcow2Prerequisites } from "../../../packages/core/src/disk/qcow2/prerequisites.js";
import { CloneError, MissingToolError } from "../../../packages/core/src/errors.js";

describe("qcow2 prerequisites and refusals", () => {
  let dir: string;
  const savedPath = process.env.PATH;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-qcow2-unit-"));
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  it("names the Debian packages to install when the tools are not on PATH", async () => {
    const empty = path.join(dir, "empty-bin");
    mkdirSync(empty);
    const err = await checkQcow2Prerequisites({ PATH: empty }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingToolError);
    expect((err as Error).message).toMatch(/qemu-img.*qemu-storage-daemon.*mkfs\.xfs/s);
    expect((err as Error).message).toMatch(/apt-get install qemu-utils qemu-system-common xfsprogs/);
  });

  it("driver.checkPrerequisites reads the process PATH", async () => {
    process.env.PATH = dir;
    await expect(new Qcow2Driver({ stateDir: dir }).checkPrerequisites()).rejects.toThrow(MissingToolError);
  });

  it("passes on this machine, which has every tool", async () => {
    await expect(checkQcow2Prerequisites()).resolves.toBeUndefined();
  });

  it("createChild names qemu-utils when qemu-img itself is missing", async () => {
    const parent = path.join(dir, "base.qcow2");
    writeFileSync(parent, "not really a disk");
    chmodSync(parent, 0o444);
    process.env.PATH = dir;
    const err = await new Qcow2Driver({ stateDir: dir }).createChild(parent, path.join(dir, "child.qcow2")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingToolError);
    expect((err as Error).message).toMatch(/apt-get install qemu-utils/);
  });

  it("refuses a base that everyone may write", async () => {
    const parent = path.join(dir, "base.qcow2");
    writeFileSync(parent, "x");
    chmodSync(parent, 0o666);
    const err = await new Qcow2Driver({ stateDir: dir }).createChild(parent, path.join(dir, "child.qcow2")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloneError);
    expect((err as Error).message).toMatch(/chmod 0444/);
  });
});
