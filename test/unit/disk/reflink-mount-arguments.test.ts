// The untimed loop mounts through mount(2), not `mount`: the clone's `mount -o` options must
// become the same flags and filesystem options, or a clone would lose nosuid/nodev/noatime.
import { describe, expect, it } from "vitest";
import { CLONE_MOUNT_OPTIONS } from "../../../packages/core/src/disk/reflink/clone.js";
import { mountArguments } from "../../../packages/core/src/disk/reflink/untimed-loop.js";

describe("mountArguments", () => {
  it("turns a clone's options into MS_NOSUID | MS_NODEV | MS_NOATIME and XFS's nouuid", () => {
    expect(mountArguments(CLONE_MOUNT_OPTIONS)).toEqual({ flags: 2 | 4 | 1024, data: "nouuid" });
  });

  it("drops `loop` (the device is already one), keeps unknown options for the filesystem, in order", () => {
    expect(mountArguments("loop,ro,logbsize=256k,noexec,,nouuid")).toEqual({ flags: 1 | 8, data: "logbsize=256k,nouuid" });
    expect(mountArguments("")).toEqual({ flags: 0, data: "" });
  });
});
