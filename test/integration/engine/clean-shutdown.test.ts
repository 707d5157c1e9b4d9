// On a real PostgreSQL 15 cluster: one shut down cleanly (initdb, then a start and a fast stop)
// starts with nothing to replay and passes; the same cluster killed while running would start with
// crash recovery and is refused; a FIFO in pg_control's place is refused without blocking.
import { execFileSync, spawn } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, rmSync, unlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uncleanShutdown } from "../../../packages/core/src/engine/postgres/clean-shutdown.js";
import { freePort } from "../../../packages/core/src/util/net.js";

const BIN = "/usr/lib/postgresql/15/bin";
const asPostgres = (cmd: string, args: string[]) =>
  execFileSync("runuser", ["-u", "postgres", "--", path.join(BIN, cmd), ...args], { stdio: "pipe", encoding: "utf8" });

let dir: string;
let data: string;
let pid: number | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (p: number) => {
  try {
    process.kill(p, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-clean-shutdown-"));
  chownSync(dir, Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })), 0);
  data = path.join(dir, "data");
  asPostgres("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync"]);
});
afterAll(async () => {
  if (pid && alive(pid)) process.kill(pid, "SIGKILL");
  for (let i = 0; i < 100 && pid && alive(pid); i++) await sleep(20);
  rmSync(dir, { recursive: true, force: true });
});

describe("a real cluster's shutdown state", () => {
  it("clean after initdb and after a fast stop; refused once killed while running", async () => {
    expect(await uncleanShutdown(data)).toBeUndefined();
    const port = String(await freePort());
    const opts = ["-D", data, "-o", `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir}`, "-w", "-t", "60"];
    asPostgres("pg_ctl", [...opts, "start", "-l", path.join(dir, "log")]);
    asPostgres("psql", ["-X", "-q", "-h", dir, "-p", port, "-U", "postgres", "-c", "CREATE TABLE t AS SELECT 1 AS x"]);
    asPostgres("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    expect(await uncleanShutdown(data)).toBeUndefined();

    const child = spawn(
      "runuser",
      ["-u", "postgres", "--", path.join(BIN, "postgres"), "-D", data, "-p", port, "-c", "listen_addresses=127.0.0.1", "-k", dir],
      {
        stdio: "ignore",
      },
    );
    // The postmaster (runuser's child) is the one to kill: its pid is in postmaster.pid once it runs.
    let postmaster: number | undefined;
    for (let i = 0; i < 500 && !postmaster; i++) {
      await sleep(20);
      try {
        const lines = execFileSync("cat", [path.join(data, "postmaster.pid")], { encoding: "utf8" }).split("\n");
        if (lines[7]?.trim() === "ready") postmaster = Number(lines[0]);
      } catch {
        // not yet
      }
    }
    expect(postmaster).toBeGreaterThan(0);
    pid = postmaster!;
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 250 && alive(pid); i++) await sleep(20);
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once("exit", r)));
    expect(await uncleanShutdown(data)).toBe("was not shut down cleanly (pg_control), so it would start with crash recovery");
  });

  it("a FIFO in pg_control's place is refused without blocking the check", async () => {
    const fifoData = path.join(dir, "fifo");
    mkdirSync(path.join(fifoData, "global"), { recursive: true });
    execFileSync("mkfifo", [path.join(fifoData, "global", "pg_control")]);
    expect(await uncleanShutdown(fifoData)).toBe("has no readable global/pg_control");
    unlinkSync(path.join(fifoData, "global", "pg_control"));
  });
});
