// `dbclone log … | head`: a reader that stops early closes the pipe; the bundled binary must end
// quietly with exit 0, not crash on an unhandled EPIPE with a stack trace.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleCli } from "../../faults/cli-process.js";
import { publishFixture } from "../../unit/cli/helpers.js";

let tmp: string;
let bundle: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "dbclone-cli-epipe-"));
  bundle = path.join(tmp, "dbclone.cjs");
  await bundleCli(bundle); // as scripts/build.mjs bundles dist/cli
  for (const v of ["1", "2", "3"]) await publishFixture(path.join(tmp, "repo"), path.join(tmp, "home"), "shop", v);
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run `dbclone args | reader` in bash; the CLI's own exit status (PIPESTATUS[0]) and its stderr. */
function piped(args: string[], reader: string) {
  const cmd = `"$NODE" "$BUNDLE" ${args.join(" ")} 2>"$ERR" | ${reader}; echo "cli=\${PIPESTATUS[0]}"`;
  const err = path.join(tmp, `stderr-${Math.random().toString(36).slice(2)}`);
  const env = {
    PATH: process.env.PATH,
    NODE: process.execPath,
    BUNDLE: bundle,
    ERR: err,
    DBCLONE_HOME: path.join(tmp, "home"),
    DBCLONE_REPO: path.join(tmp, "repo"),
  };
  const r = spawnSync("bash", ["-c", cmd], { env, encoding: "utf8", timeout: 30_000 });
  const stderr = spawnSync("cat", [err], { encoding: "utf8" }).stdout;
  return { status: Number(/cli=(\d+)/.exec(r.stdout)?.[1]), stdout: r.stdout, stderr };
}

describe("stdout closed early by the reader", () => {
  it("a reader that already exited (EPIPE on the first write): exit 0, nothing on stderr", () => {
    // `true` exits long before node has loaded the bundle: every write hits a closed pipe.
    for (const args of [["log", "shop:3"], ["images"], ["--help"]]) {
      const r = piped(args, "true");
      expect(r.stderr, args.join(" ")).toBe("");
      expect(r.status, args.join(" ")).toBe(0);
    }
  });

  it("head -n 1 still gets the first line and the CLI exits 0", () => {
    const r = piped(["log", "shop:3"], "head -n 1");
    expect(r.stdout.split("\n")[0]).toMatch(/^VERSION/);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("a reader that keeps the pipe open sees the whole output (the quiet exit is for EPIPE only)", () => {
    const r = piped(["log", "shop:3"], "cat");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/shop:3/);
  });
});
