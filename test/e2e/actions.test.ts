// The dist bundles, run as the runner runs them: they start, read their inputs, reach their core call,
// and end cleanly — outputs on success, one ::error:: line and exit 1 on failure, never a crash.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runAction, runBundle, type StepResult } from "./harness.js";

let home: string;
let env: Record<string, string>;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-e2e-home-"));
  // Everything an action might create goes under this temp home and repository.
  env = { DBCLONE_HOME: home, DBCLONE_REPO: path.join(home, "repository") };
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

/** Failed the way a user should see it: exit 1, one ::error:: line naming the problem, no stack, no crash. */
function expectCleanFailure(r: StepResult, message: RegExp) {
  expect(r.exitCode, r.stdout + r.stderr).toBe(1);
  expect(r.errors).toHaveLength(1);
  expect(r.errors[0]).toMatch(message);
  expect(r.errors[0]).not.toContain("\n");
  expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stdout + r.stderr).not.toMatch(/Dynamic require|Cannot find module|is not a function|is not defined/);
}

describe("build-image bundle", () => {
  it("fails naming 'image' when it is missing", async () => {
    const r = await runAction("build-image", { env, inputs: { "from-dump": "/nonexistent/shop.dump" } });
    expectCleanFailure(r, /Input 'image' is required/);
  });

  it("fails naming the source inputs when none is given", async () => {
    const r = await runAction("build-image", { env, inputs: { image: "shop" } });
    expectCleanFailure(r, /'from-dump', 'from-datadir', 'from-server' or 'from-backup'/);
  });

  it("masks a server URL's password before anything else happens", async () => {
    const r = await runAction("build-image", { env, inputs: { image: "shop", "from-server": "postgresql://app:hunter2@127.0.0.1:1/shop" } });
    expect(r.secrets).toContain("hunter2");
    expect(r.secrets).toContain("postgresql://app:hunter2@127.0.0.1:1/shop");
    const masked = r.stdout.indexOf("::add-mask::hunter2");
    const failed = r.stdout.indexOf("::error::");
    expect(masked).toBeGreaterThanOrEqual(0);
    expect(masked).toBeLessThan(failed);
    // Nothing listens on port 1: the source probe fails cleanly, and never prints the password.
    expectCleanFailure(r, /./);
    const printed = r.stdout
      .split("\n")
      .filter((l) => !l.startsWith("::add-mask::"))
      .join("\n");
    expect(printed).not.toContain("hunter2");
  });

  it("reaches buildImage, which refuses a dump that does not exist, naming it", async () => {
    const dump = path.join(home, "missing.dump");
    const r = await runAction("build-image", { env, inputs: { image: "shop", "from-dump": dump } });
    expectCleanFailure(r, new RegExp(dump.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    expect(r.outputs).toEqual({});
  });
});

describe("clone-db bundle", () => {
  it("fails naming 'image' when it is missing; the post step then has nothing to do", async () => {
    const r = await runAction("clone-db", { env });
    expectCleanFailure(r, /Input 'image' is required/);
    expect(r.post?.exitCode).toBe(0);
    expect(r.post?.stdout).toContain("nothing to tear down");
  });

  it("fails naming 'ttl' when it is not a duration", async () => {
    const r = await runAction("clone-db", { env, inputs: { image: "shop:latest", ttl: "forever" } });
    expectCleanFailure(r, /Input 'ttl': 'forever' is not a duration/);
  });

  it("reaches createClone, which finds no such image in an empty repository; the post step has nothing to do", async () => {
    const r = await runAction("clone-db", { env, inputs: { image: "shop:latest" } });
    expect(r.state.keep).toBe("false"); // the action.yml default, applied as the runner does
    expectCleanFailure(r, /shop:latest/);
    expect(r.state["clone-id"]).toBeUndefined();
    expect(r.post?.exitCode).toBe(0);
    expect(r.post?.stdout).toContain("nothing to tear down");
  });

  it("post step leaves a kept clone alone", async () => {
    const r = await runBundle("dist/clone-db/post.cjs", { env, state: { "clone-id": "c-kept", keep: "true" } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("keep: true: leaving clone c-kept running");
  });

  it("post step tears down the saved clone through the teardown core call", async () => {
    const r = await runBundle("dist/clone-db/post.cjs", { env, state: { "clone-id": "c-gone", keep: "false" } });
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.stdout).toContain("already gone");
  });
});

describe("teardown bundle", () => {
  it("fails naming its inputs when none says which clones", async () => {
    const r = await runAction("teardown", { env });
    expectCleanFailure(r, /'clone-id', 'name', 'branch', 'pr' or 'labels'/);
  });

  it("treats a clone that is already gone as removed = [] (idempotent)", async () => {
    const r = await runAction("teardown", { env, inputs: { "clone-id": "c-does-not-exist" } });
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.outputs).toEqual({ removed: "[]", count: "0", skipped: "[]" });
  });

  it("tears down by pr label", async () => {
    const r = await runAction("teardown", { env, inputs: { pr: "42" } });
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.outputs).toEqual({ removed: "[]", count: "0", skipped: "[]" });
  });
});

describe("failure output", () => {
  it("prints the stack only with step debug logging (RUNNER_DEBUG=1)", async () => {
    const quiet = await runAction("teardown", { env });
    expect(quiet.stdout).not.toMatch(/^\s+at /m);
    const debug = await runAction("teardown", { env: { ...env, RUNNER_DEBUG: "1" } });
    expect(debug.exitCode).toBe(1);
    expect(debug.stdout).toMatch(/^\s+at /m);
  });
});
