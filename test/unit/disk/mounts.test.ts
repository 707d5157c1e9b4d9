import { describe, expect, it } from "vitest";
import { readLoopDevices, readMounts } from "../../../packages/core/src/disk/qcow2/mounts.js";

describe("mount helpers", () => {
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
