// The real binary: bundled like dist/ is, run as a child process, judged by exit code and output.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleCli } from "../../faults/cli-process.js";
import { listTree } from "../../unit/cli/helpers.js";

let tmp: string;
let bundle: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "dbclone-cli-bundle-"));
  bundle = path.join(tmp, "dbclone.cjs");
  await bundleCli(bundle); // as scripts/build.mjs bundles dist/cli
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function dbclone(...args: string[]) {
  const env = { PATH: process.env.PATH, DBCLONE_HOME: path.join(tmp, "home"), DBCLONE_REPO: path.join(tmp, "repo") };
  const r = spawnSync(process.execPath, [bundle, ...args], { env, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the bundled dbclone binary", () => {
  it("exits 0 on --help", () => {
    const r = dbclone("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: dbclone/);
  });

  it("exits 2 on an unknown command, with one line on stderr", () => {
    const r = dbclone("frobnicate");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dbclone: unknown command 'frobnicate'; see dbclone --help\n$/);
  });

  it("exits 2 on a bad reference and 1 on a missing image, one line each, writing nothing", async () => {
    mkdirSync(path.join(tmp, "repo"));
    const bad = dbclone("show", "bad::ref");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^dbclone: bad image reference 'bad::ref'[^\n]*\n$/);
    const missing = dbclone("show", "nosuch:1");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^dbclone: image nosuch:1 not found[^\n]*\n$/);
    expect(bad.stdout + missing.stdout).toBe("");
    expect(await listTree(path.join(tmp, "repo"))).toEqual([]);
    expect(await listTree(path.join(tmp, "home"))).toEqual([]);
  });
});
