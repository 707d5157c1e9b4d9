// Hostile data directories and images against the real build and clone start: a symlinked
// config file, settings in postgresql.auto.conf that would run commands or load libraries, a
// planted superuser password hash.
import { appendFileSync, existsSync, lstatSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresEngine } from "../../packages/core/src/engine/postgres/index.js";
import { SourceError } from "../../packages/core/src/errors.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { run } from "../../packages/core/src/runtime/exec.js";
import { Tracker, freePort } from "../integration/engine/fixtures.js";
import { adminQuery, makeVictims, sharedDir, sourceDataDir, type Victims } from "./fixtures.js";

const engine = new PostgresEngine();
const t = new Tracker();
let victims: Victims;
let traces: string;

beforeAll(() => {
  victims = makeVictims(t);
  traces = sharedDir(t);
});
afterAll(() => t.cleanup(), 60_000);

const HOSTILE_AUTO_CONF = (marker: string) =>
  [
    "archive_mode = on",
    `archive_command = 'touch ${marker}'`,
    "shared_preload_libraries = 'dbclone_no_such_library'", // a server that honoured it would not start
    "log_statement = 'all'",
    `log_directory = '${path.dirname(marker)}'`,
    "logging_collector = on",
    "",
  ].join("\n");

async function withClone<T>(mount: string, fn: (s: Awaited<ReturnType<PostgresEngine["start"]>>) => Promise<T>): Promise<T> {
  const server = await engine.start(mount, { port: await freePort(), runDir: path.join(mount, "run") }, silentReporter);
  t.pids.add(server.pid);
  try {
    return await fn(server);
  } finally {
    await engine.stop(server);
    t.pids.delete(server.pid);
  }
}

describe("a data directory with a symlinked config file and archive_command in postgresql.auto.conf", { timeout: 180_000 }, () => {
  it("builds without reading or writing through the link and without honouring the settings", async () => {
    const src = await sourceDataDir(t, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)");
    rmSync(path.join(src, "postgresql.conf"));
    symlinkSync(victims.existing, path.join(src, "postgresql.conf"));
    rmSync(path.join(src, "pg_ident.conf"));
    symlinkSync(victims.absent, path.join(src, "pg_ident.conf")); // dangling: a write would create it
    appendFileSync(path.join(src, "postgresql.auto.conf"), HOSTILE_AUTO_CONF(victims.marker));

    const mount = t.mount();
    await engine.restore([{ kind: "datadir", path: src }], mount, silentReporter);
    const dataDir = path.join(mount, "pgdata");
    for (const f of ["postgresql.conf", "pg_ident.conf", "postgresql.auto.conf"]) expect(lstatSync(path.join(dataDir, f)).isFile()).toBe(true);
    expect(readFileSync(path.join(dataDir, "postgresql.auto.conf"), "utf8")).not.toMatch(/^\s*[a-z_]+\s*=/m);

    await withClone(mount, async (s) => {
      const settings = await adminQuery<{ name: string; setting: string }>(
        s,
        "postgres",
        "SELECT name, setting FROM pg_settings WHERE name IN ('archive_mode', 'archive_command', 'shared_preload_libraries', 'log_statement', 'logging_collector', 'config_file') ORDER BY name",
      );
      expect(Object.fromEntries(settings.map((r) => [r.name, r.setting]))).toEqual({
        archive_command: "(disabled)", // archive_mode off: never run
        archive_mode: "off",
        config_file: path.join(mount, "run", "postgresql.conf"),
        log_statement: "none",
        logging_collector: "off",
        shared_preload_libraries: "",
      });
      expect((await adminQuery<{ x: number }>(s, "postgres", "SELECT x FROM kept"))[0]!.x).toBe(42);
      await adminQuery(s, "postgres", "SELECT pg_switch_wal()"); // would hand a segment to archive_command
    });
    expect(victims.untouched()).toBe(true);
  });

  it("refuses an image whose data directory gained a setting in postgresql.auto.conf or a link, before starting it", async () => {
    const mount = t.mount();
    await engine.restore([{ kind: "datadir", path: await sourceDataDir(t, "SELECT 1") }], mount, silentReporter);
    const dataDir = path.join(mount, "pgdata");
    const auto = path.join(dataDir, "postgresql.auto.conf");
    const clean = readFileSync(auto, "utf8");

    writeFileSync(auto, clean + HOSTILE_AUTO_CONF(victims.marker));
    await expect(withClone(mount, async () => undefined)).rejects.toThrow(/has a setting in postgresql\.auto\.conf \(line 2\)/);

    writeFileSync(auto, clean);
    rmSync(path.join(dataDir, "postgresql.conf"));
    symlinkSync(victims.absent, path.join(dataDir, "postgresql.conf"));
    await expect(withClone(mount, async () => undefined)).rejects.toThrow(SourceError);
    await expect(withClone(mount, async () => undefined)).rejects.toThrow(/has a symbolic link postgresql\.conf/);

    rmSync(path.join(dataDir, "postgresql.conf"));
    symlinkSync(victims.dir, path.join(dataDir, "pg_wal.old"));
    await expect(withClone(mount, async () => undefined)).rejects.toThrow(/has a symbolic link pg_wal\.old/);
    expect(victims.untouched()).toBe(true);
    expect(readdirSync(traces)).toEqual([]);
  });
});

describe("a data directory with a planted superuser password hash", { timeout: 180_000 }, () => {
  it("is stripped from every role, the bootstrap superuser included, down to the bytes of the fresh copy", async () => {
    const src = await sourceDataDir(t, "ALTER ROLE srcadmin PASSWORD 'planted-superuser-secret'; CREATE ROLE app LOGIN PASSWORD 'app-secret'");
    const mount = t.mount();
    const info = await engine.restore([{ kind: "datadir", path: src }], mount, silentReporter);
    expect(info.rolePasswordsStripped).toBe(true);
    await withClone(mount, async (s) => {
      const left = await adminQuery<{ rolname: string }>(s, "postgres", "SELECT rolname FROM pg_authid WHERE rolpassword IS NOT NULL");
      expect(left).toEqual([]);
      await engine.scrub(s, silentReporter, { full: true }); // what a build does before the fresh copy; stops the server
    });
    const fresh = t.mount();
    await engine.copyFresh(mount, fresh, silentReporter);
    const hits = await run("grep", ["-rlaF", "SCRAM-SHA-256$", path.join(fresh, "pgdata")], { allowFailure: true });
    expect(hits.code).toBe(1); // grep: no file holds a verifier
    expect(existsSync(path.join(fresh, "pgdata", "global", "pg_control"))).toBe(true);
  });
});
