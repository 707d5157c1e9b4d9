// Teardown stops a clone's qemu-storage-daemon by the pid its record (or pidfile) names. A record
// that names another clone's daemon (edited, or a pid reused by another export) must not stop that
// daemon: the pid must serve the export being stopped. Real qemu-storage-daemon over FUSE.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startExport, stopExport } from "../../../packages/core/src/disk/qcow2/export.js";
import { isAlive } from "../../../packages/core/src/runtime/exec.js";
import type { Reporter } from "../../../packages/core/src/reporter.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { forceCleanup } from "./cleanup.js";

const canRun = process.platform === "linux" && process.getuid?.() === 0 && existsSync("/dev/fuse");
const root = mkdtempSync(path.join(os.tmpdir(), "dbclone-export-owner-"));

afterAll(() => {
  forceCleanup(root);
  rmSync(root, { recursive: true, force: true });
});

function disk(name: string): string {
  const file = path.join(root, `${name}.qcow2`);
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", file, "64M"]);
  return file;
}

describe.skipIf(!canRun)("stopping a qcow2 export", () => {
  it("leaves running a daemon that serves another export than the one named, and stops its own", async () => {
    const a = await startExport(disk("a"));
    const b = await startExport(disk("b"));
    const warnings: string[] = [];
    const reporter: Reporter = { ...silentReporter, warn: (m: string) => warnings.push(m) };

    // b's record, with a's pid in it.
    await stopExport({ ...b, pid: a.pid }, reporter);
    expect(isAlive(a.pid)).toBe(true);
    expect(warnings.join("\n")).toMatch(new RegExp(`pid ${a.pid} serves another export`));
    // a's export still answers: its FUSE file is still a mount.
    expect(execFileSync("findmnt", ["-n", "-o", "FSTYPE", a.exportFile], { encoding: "utf8" })).toMatch(/fuse/);

    await stopExport(b, silentReporter);
    await stopExport(a, silentReporter);
    expect(isAlive(a.pid)).toBe(false);
    expect(isAlive(b.pid)).toBe(false);
  }, 60_000);
});
