import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TerminalReporter } from "../../../packages/cli/src/terminal-reporter.js";
import { runCli } from "./helpers.js";

function capture(debug: boolean, isTTY = false) {
  let text = "";
  let clock = 0;
  const reporter = new TerminalReporter({
    stderr: { write: (s: string) => (text += s), isTTY },
    debug,
    progressIntervalMs: 1000,
    now: () => clock,
  });
  return { reporter, text: () => text, advance: (ms: number) => (clock += ms) };
}

describe("TerminalReporter", () => {
  it("prints debug lines only when debugging, and redacts registered secrets everywhere", () => {
    const quiet = capture(false);
    quiet.reporter.debug("hidden");
    quiet.reporter.secret("hunter2");
    quiet.reporter.info("password is hunter2");
    quiet.reporter.warn("again hunter2");
    expect(quiet.text()).toBe("password is ***\nwarning: again ***\n");
    const loud = capture(true);
    loud.reporter.debug("shown");
    expect(loud.text()).toBe("debug: shown\n");
  });

  it("prints a plain progress line at most once per interval when stderr is not a terminal", () => {
    const c = capture(false);
    const p = c.reporter.progress("Copying", 100);
    p.update(10);
    c.advance(400);
    p.update(20);
    c.advance(700);
    p.update(50);
    p.update(60);
    p.finish();
    expect(c.text()).toBe("Copying…\nCopying: 50% (50 of 100)\nCopying: done\n");
  });

  it("shows byte progress in human units, and an unknown total as the amount so far (never 587/0)", () => {
    const known = capture(false);
    const p = known.reporter.progress("Pulling shop:1", 3_000_000, { unit: "bytes" });
    known.advance(1000);
    p.update(1_500_000);
    p.finish();
    expect(known.text()).toBe("Pulling shop:1…\nPulling shop:1: 50% (1.5 MB of 3 MB)\nPulling shop:1: done\n");
    const unknown = capture(false);
    const q = unknown.reporter.progress("Copying data", undefined, { unit: "bytes" });
    unknown.advance(1000);
    q.update(587_000_000, 0);
    expect(unknown.text()).toBe("Copying data…\nCopying data: 587 MB so far\n");
  });

  it("on a terminal, draws a bar with human sizes, or a spinner and bytes so far when the total is unknown", () => {
    const bar = capture(false, true);
    const p = bar.reporter.progress("Pulling shop:1", 2_000_000, { unit: "bytes" });
    p.update(1_000_000);
    p.finish();
    expect(bar.text()).toMatch(/Pulling shop:1 \[.*\] 50% \| 1 MB of 2 MB/);
    const spin = capture(false, true);
    const q = spin.reporter.progress("Verifying", undefined, { unit: "bytes" });
    q.update(1200);
    q.finish();
    expect(spin.text()).toMatch(/Verifying [|/\\-] 0 B so far/);
    expect(spin.text()).toMatch(/1\.2 kB so far/);
    expect(spin.text()).not.toMatch(/\d+\/0\b/);
  });
});

describe("unexpected errors", () => {
  it("print one line without a stack and exit 1; with --debug the stack follows", async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), "dbclone-cli-err-"));
    try {
      // A directory where the registry file should be: an error no dbclone class describes.
      mkdirSync(path.join(home, "clones", "registry.json"), { recursive: true });
      const plain = await runCli(["clones", "--home", home], {});
      expect(plain.code).toBe(1);
      expect(plain.stderr).toMatch(/^dbclone: unexpected error: EISDIR[^\n]*run with --debug for details\)\n$/);
      const debug = await runCli(["clones", "--home", home, "--debug"], {});
      expect(debug.code).toBe(1);
      expect(debug.stderr.split("\n").length).toBeGreaterThan(3);
      expect(debug.stderr).toMatch(/\n\s+at /);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
