// A clone's disk is an image's XFS, which anyone with push rights can craft offline: a root-owned
// set-uid program and a device node inside it must be inert once mounted, or code running as the
// server's OS user (which a crafted catalog can run: docs/security.md) becomes root. Real XFS on a
// loop device, mounted by the clone path itself (attachClone), then undone.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attachClone, detachClone } from "../../../packages/core/src/disk/reflink/clone.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { forceCleanup } from "../disk/cleanup.js";
import { loopsUnder, mountsUnder } from "./fixture.js";

const canRun = process.platform === "linux" && process.getuid?.() === 0 && existsSync("/dev/loop-control") && spawnSync("id", ["-u", "postgres"]).status === 0;
const root = mkdtempSync(path.join(os.tmpdir(), "dbclone-hostile-mount-"));
chmodSync(root, 0o711); // the unprivileged user below must reach the mount

afterAll(() => {
  forceCleanup(root);
  rmSync(root, { recursive: true, force: true });
});

/** Mount options of the mount at `mountPoint`, from mountinfo (per-mount flags: field 6). */
function mountOptions(mountPoint: string): string[] {
  const line = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .find((l) => l.split(" ")[4] === mountPoint);
  return line?.split(" ")[5]?.split(",") ?? [];
}

describe.skipIf(!canRun)("a crafted image's set-uid program and device node, once a clone mounts it", () => {
  it("are inert: the program runs without root's id and the device cannot be opened", async () => {
    const file = path.join(root, "crafted.raw");
    const craft = path.join(root, "craft");
    execFileSync("truncate", ["-s", "320M", file]);
    execFileSync("mkfs.xfs", ["-q", file]);
    mkdirSync(craft);
    execFileSync("mount", ["-o", "loop", file, craft]);
    try {
      // What an attacker puts in the image: `id` set-uid root, and /dev/null's node (1,3), which
      // any mount without nodev would open (a real attack names the host's disk).
      copyFileSync("/usr/bin/id", path.join(craft, "rootid"));
      chmodSync(path.join(craft, "rootid"), 0o4755);
      execFileSync("mknod", ["-m", "0666", path.join(craft, "node"), "c", "1", "3"]);
      chmodSync(craft, 0o755);
    } finally {
      execFileSync("umount", [craft]);
    }
    // The same image mounted the usual way is the attack (checks the fixture itself can fail).
    const plain = path.join(root, "plain");
    mkdirSync(plain);
    execFileSync("mount", ["-o", "loop,nouuid", file, plain]);
    try {
      expect(
        execFileSync("runuser", ["-u", "postgres", "--", path.join(plain, "rootid"), "-u"])
          .toString()
          .trim(),
      ).toBe("0");
    } finally {
      execFileSync("umount", [plain]);
    }

    const mountPath = path.join(root, "clone", "mnt");
    const attachment = await attachClone("reflink", file, mountPath, silentReporter);
    try {
      expect(mountOptions(mountPath)).toEqual(expect.arrayContaining(["nosuid", "nodev"]));
      const euid = execFileSync("runuser", ["-u", "postgres", "--", path.join(mountPath, "rootid"), "-u"])
        .toString()
        .trim();
      expect(euid).not.toBe("0");
      // nodev refuses even root.
      expect(() => closeSync(openSync(path.join(mountPath, "node"), "r"))).toThrow(/EACCES/);
    } finally {
      await detachClone(attachment, silentReporter);
    }
    expect(mountsUnder(root)).toEqual([]);
    expect(loopsUnder(root)).toEqual([]);
  });
});
