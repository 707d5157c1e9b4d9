// A FIFO planted as the CLI's code cache (beside dist/cli/main.cjs) must not hang every run: the
// cache is opened without blocking and refused as not a regular file. Run on a copy of the built
// CLI in a child process, so a regression shows as a timeout here instead of a hung test worker.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";

const root = path.resolve(__dirname, "../../..");
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-code-cache-fifo-"));
  fs.cpSync(path.join(root, "dist/cli"), dir, { recursive: true });
  fs.rmSync(path.join(dir, "main.cjs.v8cache"), { force: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it("answers --help with a FIFO where its code cache would be, and (as the bundle's owner) replaces it with a real cache", () => {
  const fifo = path.join(dir, "main.cjs.v8cache");
  execFileSync("mkfifo", [fifo]);
  const run = spawnSync(process.execPath, [path.join(dir, "index.cjs"), "--help"], { encoding: "utf8", timeout: 30_000 });
  expect(run.signal).toBeNull(); // not killed by the timeout: it did not wait for a writer
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^Usage: dbclone/);
  const st = fs.lstatSync(fifo);
  expect([st.isFile(), st.nlink, st.mode & 0o777]).toEqual([true, 1, 0o644]);
}, 60_000);
