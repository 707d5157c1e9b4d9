// The runner's secrets stay with the runner: a canary planted in our environment must not reach
// any PostgreSQL tool or server dbclone starts (build, single-user, restore tools, clone), their
// /proc/<pid>/environ, their argv, or any log. PostgreSQL's binaries are wrapped (PG_BIN) by
// scripts that record each process's environment and exec the real binary, so every start counts.
import { chmodSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresEngine } from "../../packages/core/src/engine/postgres/index.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { run } from "../../packages/core/src/runtime/exec.js";
import { Tracker, freePort } from "../integration/engine/fixtures.js";
import { sharedDir } from "./fixtures.js";

const REAL_BIN = "/usr/lib/postgresql/15/bin";
const WRAPPED = ["postgres", "psql", "pg_restore", "initdb", "pg_resetwal"];
const CANARY = `canary-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const SECRETS = { DBCLONE_MASKING_KEY: CANARY, GITHUB_TOKEN: `ghs_${CANARY}`, ACTIONS_RUNTIME_TOKEN: CANARY, PGPASSWORD: CANARY, PGHOST: `/tmp/${CANARY}` };

const t = new Tracker();
const saved: Record<string, string | undefined> = {};
let traces: string;
let envLog: string;

beforeAll(() => {
  traces = sharedDir(t);
  envLog = path.join(traces, "environments.log");
  writeFileSync(envLog, "", { mode: 0o666 });
  chmodSync(envLog, 0o666);
  const bin = mkdtempSync(path.join(os.tmpdir(), "dbclone-sec-bin-"));
  chmodSync(bin, 0o755);
  t.dirs.push(bin);
  for (const name of readdirSync(REAL_BIN)) {
    const target = path.join(bin, name);
    if (!WRAPPED.includes(name)) {
      symlinkSync(path.join(REAL_BIN, name), target);
      continue;
    }
    // Record this process's environment (NULs → newlines), then become the real binary (same pid).
    writeFileSync(target, `#!/bin/sh\n{ echo "== ${name} $$"; tr '\\0' '\\n' < /proc/$$/environ; } >> ${envLog}\nexec ${path.join(REAL_BIN, name)} "$@"\n`, {
      mode: 0o755,
    });
  }
  for (const [k, v] of Object.entries({ ...SECRETS, PG_BIN: bin })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await t.cleanup();
}, 60_000);

/** Every descendant of `pid` (and itself), from /proc. */
function processTree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  return tree;
}

describe("a canary secret in the runner's environment", { timeout: 180_000 }, () => {
  it("never reaches a tool, a server's /proc/<pid>/environ or argv, nor a log", async () => {
    const engine = new PostgresEngine();
    const dump = path.join(traces, "shop.sql");
    writeFileSync(
      dump,
      "--\n-- PostgreSQL database dump\n--\nCREATE TABLE orders (id int, note text);\nCOPY public.orders (id, note) FROM stdin;\n1\tfirst\n\\.\n",
    );
    const mount = t.mount();
    await engine.restore([{ kind: "dump", path: dump }], mount, silentReporter);

    const server = await engine.start(mount, { port: await freePort(), runDir: path.join(mount, "run") }, silentReporter);
    t.pids.add(server.pid);
    let environs: string[];
    try {
      const tree = processTree(server.pid);
      expect(tree.length).toBeGreaterThan(3); // postmaster + its background workers
      // A short-lived child (e.g. a startup backend) may exit between the listing and the read: skip
      // only processes that are gone; the postmaster itself must be read.
      const read = (pid: number): string | undefined => {
        try {
          return readFileSync(`/proc/${pid}/environ`, "utf8") + readFileSync(`/proc/${pid}/cmdline`, "utf8");
        } catch (e) {
          if (pid !== server.pid && ["ENOENT", "ESRCH"].includes((e as NodeJS.ErrnoException).code ?? "")) return undefined;
          throw e;
        }
      };
      environs = tree.map(read).filter((e): e is string => e !== undefined);
      expect(environs.length).toBeGreaterThan(3);
    } finally {
      await engine.stop(server);
      t.pids.delete(server.pid);
    }
    // PostgreSQL overwrites that area with its process titles, so the wrapper's record below is
    // the stronger proof; the canary must be absent from both.
    for (const e of environs) expect(e).not.toContain(CANARY);

    const recorded = readFileSync(envLog, "utf8");
    // Every kind of start went through the wrappers: initdb, the build server, psql, the clone.
    for (const name of ["initdb", "postgres", "psql"]) expect(recorded).toContain(`== ${name} `);
    expect(recorded).toMatch(/^PATH=/m); // a real environment was recorded, just not the runner's secrets
    expect(recorded).not.toContain(CANARY);
    expect(recorded).not.toMatch(/^(?:GITHUB_TOKEN|DBCLONE_MASKING_KEY|PGPASSWORD|PGHOST)=/m);

    expect(readFileSync(path.join(mount, "run", "postgres.log"), "utf8")).not.toContain(CANARY);
    expect((await run("sh", ["-c", "env"])).stdout).not.toContain(CANARY); // the one runner's default
  });
});
