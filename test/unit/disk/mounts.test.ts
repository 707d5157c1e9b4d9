import { describe, expect, it } from "vitest";
import { isUnder, readLoopDevices, readMounts } from "../../../packages/core/src/disk/qcow2/mounts.js";

describe("mount helpers", () => {
  it("isUnder matches the root and its descendants only", () => {
    expect(isUnder("/a/b", "/a/b")).toBe(true);
    expect(isUnder("/a/b/c/d", "/a/b")).toBe(true);
    expect(isUnder("/a/bc", "/a/b")).toBe(false);
    expect(isUnder("/a", "/a/b")).toBe(false);
    expect(isUnder("/a/b/../c", "/a/b")).toBe(false);
  });

  it("reads this process's mount table", async () => {
    const mounts = await readMounts();
    expect(mounts.find((m) => m.mountPoint === "/")).toBeDefined();
    expect(mounts.find((m) => m.mountPoint === "/proc")?.fsType).toBe("proc");
  });

  it("lists loop devices as device + backing file", async () => {
    for (const l of await readLoopDevices()) {
      expect(l.device).toMatch(/^\/dev\/loop\d+$/);
      expect(l.backingFile.startsWith("/")).toBe(true);
    }
  });
});
