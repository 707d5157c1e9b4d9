// The clone driver choice: data-driven, in order of preference, with the reason each skipped
// driver is skipped; --disk allows only the driver asked for; DBCLONE_DISK only reorders.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cloneDiskChoice } from "../../../packages/core/src/platform/index.js";
import { parsePoolSize } from "../../../packages/core/src/disk/index.js";
import { NotSupportedError, UsageError } from "../../../packages/core/src/errors.js";

const linux = process.platform === "linux";
const hostEnv = { PATH: process.env.PATH };

describe("cloneDiskChoice", () => {
  it.skipIf(!linux)("prefers qcow2 by default and reflink when DBCLONE_DISK=reflink", () => {
    expect(cloneDiskChoice(undefined, hostEnv).usable[0]).toBe("qcow2");
    expect(cloneDiskChoice(undefined, { ...hostEnv, DBCLONE_DISK: "reflink" }).usable).toEqual(["reflink", "qcow2"]);
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
    expect(() => cloneDiskChoice(undefined, { ...hostEnv, DBCLONE_DISK: "../x" })).toThrow(/DBCLONE_DISK must be one of qcow2, reflink/);
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
