// Paths spliced into diskpart scripts (diskpart takes no parameters): a device or verbatim path
// must be refused before it reaches diskpart, where `create vdisk file="\\.\PhysicalDrive0"`
// would address a raw disk; an ordinary local path is quoted and normalised.
import { describe, expect, it } from "vitest";
import { diskpartPath } from "../../../packages/core/src/disk/vhdx/scripts.js";

describe("diskpart path check", () => {
  it.each(["\\\\.\\PhysicalDrive0", "\\\\?\\C:\\dbclone\\disk.vhdx", "//./PhysicalDrive0", "\\\\?\\GLOBALROOT\\Device\\Harddisk0"])(
    "refuses the device or verbatim path %j",
    (p) => {
      expect(() => diskpartPath(p)).toThrow(/needs an absolute local path like C:\\dbclone\\disk.vhdx/);
    },
  );

  it("accepts a local path whose folders merely contain a dot segment, normalised", () => {
    expect(diskpartPath("C:\\dbclone\\\\.\\disk.vhdx")).toBe('"C:\\dbclone\\disk.vhdx"');
  });
});
