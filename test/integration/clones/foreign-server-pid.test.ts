// After a crash and pid reuse, a record's serverPid can name an unrelated process. Teardown and gc
// must prove a pid is this clone's postgres (its -D under the clone's mount) before signalling it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, promises as fs, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collectGarbage } from "../../../packages/core/src/clones/gc.js";
import { CloneRegistry } from "../../../packages/core/src/clones/registry.js";
import { teardownClones } from "../../../packages/core/src/clones/teardown.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { isPostgresOf } from "../../../packages/core/src/util/process-identity.js";

let tmp: string;
let home: string;
let stranger: ChildProcess;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "dbclone-foreign-pid-"));
  home = path.join(tmp, "home");
  // The unrelated process that now holds the recorded pid (as after a reboot or pid wrap-around).
  stranger = spawn("sleep", ["60"], { stdio: "ignore" });
});
afterEach(() => {
  if (stranger.pid && alive(stranger.pid)) process.kill(stranger.pid, "SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

async function recordWithServerPid(pid: number, expiresAt?: string) {
  const registry = new CloneRegistry(home);
  const record = await registry.reserve({
    image: { name: "shop", version: "1", manifestDigest: `sha256:${"a".repeat(64)}`, diskDigest: `sha256:${"b".repeat(64)}` },
    engine: "postgres",
    host: "127.0.0.1",
    runtime: "host",
    password: "p",
    databases: [],
    labels: {},
    repository: path.join(tmp, "repo"),
    ...(expiresAt ? { expiresAt } : {}),
  });
  await fs.mkdir(record.mountPath, { recursive: true });
  // As a crashed clone-db left it: ready, its server pid recorded, no owner process alive.
  await registry.patch(record.id, { state: "ready", serverPid: pid, owner: undefined });
  return record;
}

describe("a recorded serverPid that is not this clone's server", () => {
  it("teardown leaves the unrelated process alive and still removes the clone", async () => {
    const record = await recordWithServerPid(stranger.pid!);
    const result = await teardownClones({ id: record.id, home, reporter: silentReporter });
    expect(result.removed).toEqual([record.id]);
    expect(alive(stranger.pid!)).toBe(true);
    expect(await new CloneRegistry(home).get(record.id)).toBeUndefined();
    expect(await fs.stat(record.dir).catch(() => null)).toBeNull();
  });

  it("gc of an expired clone leaves the unrelated process alive and still removes the clone", async () => {
    const record = await recordWithServerPid(stranger.pid!, new Date(Date.now() - 60_000).toISOString());
    await collectGarbage({ home, reporter: silentReporter });
    expect(alive(stranger.pid!)).toBe(true);
    expect(await new CloneRegistry(home).get(record.id)).toBeUndefined();
  });

  it("isPostgresOf: false for a process that is not postgres or whose -D is elsewhere", () => {
    expect(isPostgresOf(stranger.pid!, home)).toBe(false);
    expect(isPostgresOf(process.pid, "/")).toBe(false);
    expect(isPostgresOf(2 ** 22 + 7, home)).toBe(false); // no such pid
  });
});
