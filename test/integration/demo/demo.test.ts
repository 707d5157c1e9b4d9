// `npm run demo` exactly as README tells a newcomer to run it (the checked-in CLI bundle), at a small
// size: it must build, clone twice, show isolation, tear down, and leave nothing behind.
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../../..");
// The demo gets a temp root of its own, so another demo running on the machine (a developer's, a
// parallel suite's) can neither hide its leftovers nor be mistaken for them.
const demoDirs = (tmp: string) => readdirSync(tmp).filter((d) => d.startsWith("dbclone-demo-"));

function npmRunDemo(sizeMb: number, tmp: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "demo", "--", "--size", String(sizeMb)], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", TMPDIR: tmp },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b) => (stdout += b));
    child.stderr.on("data", (b) => (stderr += b));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("npm run demo", () => {
  it("runs end to end at --size 20 and prints a summary with isolation, zero leak-scan hits and nothing left behind", async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), "demo-test-"));
    chmodSync(tmp, 0o755); // the database's OS user reads the dump beneath it
    try {
      const r = await npmRunDemo(20, tmp);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      const summary = r.stdout.slice(r.stdout.lastIndexOf("Summary"));
      expect(summary).toMatch(/build \(restore \+ fresh base \+ publish\)\s+\d+\.\d+ s/);
      expect(summary).toMatch(/clone ready\s+\d+\.\d{3} s, \d+\.\d{3} s/);
      expect(summary).toMatch(/teardown \(both clones\)\s+\d+\.\d{3} s/);
      expect(summary).toMatch(/base disk\s+\d+(\.\d)? MB/);
      expect(summary).toMatch(/child disks\s+\d+(\.\d)? MB, \d+(\.\d)? MB/);
      expect(summary).toMatch(/isolation\s+yes\n/);
      expect(summary).toMatch(/masking \/ leak scan\s+9 columns, \d+\.\d s \/ 0 hits in \d+(\.\d)? MB/);
      expect(summary).toMatch(/left behind\s+nothing\n/);
      expect(demoDirs(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    // A masked build, a leak scan, the image's expansion into the pool and two clones: minutes on a loaded machine.
  }, 600_000);
});
