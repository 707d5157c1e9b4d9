// The stray-server scan proves a postmaster before it may be signalled: processes that only look
// like one (its name, a -D under the directory, a postmaster.pid naming another pid, reached
// through a link or written by another user, a -D elsewhere) are left alone; only the proved one is stopped.
import { type ChildProcess, spawn } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stopStrayServers } from "../../../packages/core/src/clones/stray-servers.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { isAlive } from "../../../packages/core/src/runtime/exec.js";
import { postmastersUnder } from "../../../packages/core/src/util/postmasters.js";

let root: string;
let started: ChildProcess[] = [];

/** A long-lived process whose argv reads `<argv0> … -D <dataDir>` and whose cwd is `cwd`. */
function lookalike(argv0: string, dataDir: string, cwd: string): ChildProcess {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 60000)", "--", "-D", dataDir], { argv0, cwd, stdio: "ignore" });
  started.push(child);
  return child;
}

function dataDir(name: string): string {
  const dir = path.join(root, name, "mnt", "pgdata");
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function running(child: ChildProcess): Promise<void> {
  // spawn() returns before exec: wait until /proc shows the new argv.
  for (let i = 0; i < 200 && !(await postmasterLike(child.pid!)); i++) await new Promise((r) => setTimeout(r, 10));
}

async function postmasterLike(pid: number): Promise<boolean> {
  const { readFile } = await import("node:fs/promises");
  return (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).includes("\0-D\0");
}

describe.skipIf(process.platform !== "linux")("stray postmasters under a directory", () => {
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), "dbclone-strays-"));
    started = [];
  });

  afterEach(() => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  });

  it("finds and stops only the process its data directory's postmaster.pid names", async () => {
    const under = path.join(root, "clones");
    // The real one: named postgres, -D under the directory, standing in it, named by its pid file.
    const realDir = dataDir("clones/c-real");
    const real = lookalike("/usr/lib/postgresql/15/bin/postgres", realDir, realDir);
    writeFileSync(path.join(realDir, "postmaster.pid"), `${real.pid}\n${realDir}\n`);
    // A postmaster.pid naming an unrelated pid (a running `sleep`).
    const sleep = spawn("sleep", ["60"], { stdio: "ignore" });
    started.push(sleep);
    const namesOtherDir = dataDir("clones/c-other-pid");
    const namesOther = lookalike("postgres", namesOtherDir, namesOtherDir);
    writeFileSync(path.join(namesOtherDir, "postmaster.pid"), `${sleep.pid}\n`);
    // Its pid file is a link to a file that does name it.
    const linkedDir = dataDir("clones/c-linked");
    const linked = lookalike("postgres", linkedDir, linkedDir);
    writeFileSync(path.join(root, "elsewhere.pid"), `${linked.pid}\n`);
    symlinkSync(path.join(root, "elsewhere.pid"), path.join(linkedDir, "postmaster.pid"));
    // Named by its pid file, but standing outside the directory.
    const awayDir = dataDir("clones/c-away");
    const away = lookalike("postgres", awayDir, root);
    writeFileSync(path.join(awayDir, "postmaster.pid"), `${away.pid}\n`);
    // A -D outside the directory, named by its pid file there.
    const outsideDir = dataDir("outside");
    const outside = lookalike("postgres", outsideDir, outsideDir);
    writeFileSync(path.join(outsideDir, "postmaster.pid"), `${outside.pid}\n`);
    // Not a postgres at all, though everything else fits.
    const notPgDir = dataDir("clones/c-not-postgres");
    const notPg = lookalike("sleepy", notPgDir, notPgDir);
    writeFileSync(path.join(notPgDir, "postmaster.pid"), `${notPg.pid}\n`);
    // Its pid file names it, but another user wrote it (only root can hand a file to another user).
    const asRoot = process.getuid?.() === 0;
    const foreignDir = dataDir("clones/c-foreign-file");
    const foreign = lookalike("postgres", foreignDir, foreignDir);
    writeFileSync(path.join(foreignDir, "postmaster.pid"), `${foreign.pid}\n`);
    if (asRoot) chownSync(path.join(foreignDir, "postmaster.pid"), 65534, 65534);
    for (const c of [real, namesOther, linked, away, outside, notPg, foreign]) await running(c);

    const proved = asRoot ? [real.pid] : [real.pid, foreign.pid];
    expect((await postmastersUnder(under)).map((p) => p.pid).sort()).toEqual(proved.sort());
    expect((await stopStrayServers(under, silentReporter)).sort()).toEqual(proved.map((pid) => `server ${pid}`).sort());
    expect(isAlive(real.pid!)).toBe(false);
    const decoys = [sleep, namesOther, linked, away, outside, notPg, ...(asRoot ? [foreign] : [])];
    for (const c of decoys) expect(isAlive(c.pid!)).toBe(true);
  });

  it("leaves a proved postmaster alone when the caller keeps it (a recorded clone's)", async () => {
    const dir = dataDir("clones/c-kept");
    const kept = lookalike("postgres", dir, dir);
    writeFileSync(path.join(dir, "postmaster.pid"), `${kept.pid}\n`);
    await running(kept);
    expect(await stopStrayServers(path.join(root, "clones"), silentReporter, (p) => p.pid === kept.pid)).toEqual([]);
    expect(isAlive(kept.pid!)).toBe(true);
  });
});
