// A SQL Server clone goes through the one clone session (clones/session.ts) like every engine's:
// child → mount → attach (start) → login → verify → audit → ready, and a failure at any step
// unwinds the ones before it in reverse, on an injected Windows host with fake SQL Server and VHDX.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloneRegistry } from "../../../packages/core/src/clones/registry.js";
import { useSqlServerHost } from "../../../packages/core/src/engine/sqlserver/host.js";
import { openRepository } from "../../../packages/core/src/repository/index.js";
import { runCli } from "../../unit/cli/helpers.js";
import { installHost } from "../../unit/sqlserver/routing-host.js";

const BUILD = ["build", "sales", "--engine", "sqlserver", "--from-backup", "C:\\bak\\full.bak", "--log", "C:\\bak\\1.trn"];
let root: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "dbclone-sqlsession-"));
  env = { DBCLONE_HOME: path.join(root, "home"), DBCLONE_REPO: path.join(root, "repo") };
});
afterEach(() => {
  useSqlServerHost(undefined);
  rmSync(root, { recursive: true, force: true });
});

/** Index of the first log entry containing `text`, failing the test when there is none. */
function at(entries: string[], text: string): number {
  const i = entries.findIndex((e) => e.includes(text));
  expect(i, `no step containing '${text}' in:\n${entries.join("\n")}`).toBeGreaterThanOrEqual(0);
  return i;
}

describe("SQL Server clone session", () => {
  it("runs child → mount → grant → attach → login → verify in that order and records the attached names", async () => {
    const { log } = installHost("win32");
    expect((await runCli(BUILD, env)).code).toBe(0);
    log.entries.length = 0;
    const c = await runCli(["clone", "sales:latest", "--json", "--database", "Sales"], env);
    expect(c.stderr).not.toMatch(/^dbclone:/m);
    const out = JSON.parse(c.stdout);
    const steps = ["disk: createChild", "disk: mount", "command: icacls", "CREATE DATABASE", "SET MULTI_USER", "CREATE LOGIN", "CREATE USER", "THROW 50001"];
    const order = steps.map((s) => at(log.entries, s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // --database names the image's database; the connection string names the clone's attached one.
    expect(out.connectionString).toContain(`Database=Sales__${out.id};`);
    const record = (await new CloneRegistry(env.DBCLONE_HOME!).list())[0]!;
    expect(record).toMatchObject({ state: "ready", databases: [`Sales__${out.id}`], user: `dbclone_${out.id}`, port: 1433, host: "localhost", disk: "vhdx" });
    expect(record.serverPid).toBeUndefined();
  });

  it("a failure after the login unwinds in reverse: drop login, detach, unmount, delete; no record, a failure audited", async () => {
    const { log } = installHost("win32");
    expect((await runCli(BUILD, env)).code).toBe(0);
    log.entries.length = 0;
    log.failOn = "CREATE USER";
    const c = await runCli(["clone", "sales:latest"], env);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain("injected failure at");
    const failed = at(log.entries, "CREATE USER");
    const after = log.entries.slice(failed + 1);
    const undo = ["KILL ", "sp_detach_db", "disk: unmount", "disk: destroy"].map((s) => at(after, s));
    expect(undo).toEqual([...undo].sort((a, b) => a - b));
    expect(await new CloneRegistry(env.DBCLONE_HOME!).list()).toEqual([]);
    const events = await (await openRepository(env.DBCLONE_REPO!)).audit.read();
    // The success event is written while the login is made (clones/session.ts), so a login that
    // fails after it leaves the failure as the clone's last event.
    const outcomes = events.filter((e) => e.action === "clone").map((e) => e.outcome);
    expect(outcomes.at(-1)).toBe("failure");
    expect(outcomes.length === 1 || (outcomes.length === 2 && outcomes[0] === "success")).toBe(true);
  });

  it("refuses --runtime docker before anything is reserved or made", async () => {
    const { log } = installHost("win32");
    expect((await runCli(BUILD, env)).code).toBe(0);
    log.entries.length = 0;
    const c = await runCli(["clone", "sales:latest", "--runtime", "docker"], env);
    expect(c.stderr).toContain("--runtime docker is not available for them");
    expect(log.entries).toEqual([]);
    expect(await new CloneRegistry(env.DBCLONE_HOME!).list()).toEqual([]);
  });

  it("teardown whose login drop fails still detaches and deletes the disk, keeps the record, and a retry finishes", async () => {
    const { log } = installHost("win32");
    expect((await runCli(BUILD, env)).code).toBe(0);
    const out = JSON.parse((await runCli(["clone", "sales:latest", "--json"], env)).stdout);
    log.entries.length = 0;
    log.failOn = "KILL ";
    const t = await runCli(["teardown", out.id], env);
    expect(t.code).not.toBe(0);
    expect(t.stderr).toContain(`could not drop its login dbclone_${out.id}`);
    const order = ["sp_detach_db", "KILL ", "disk: unmount", "disk: destroy"].map((s) => at(log.entries, s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect((await new CloneRegistry(env.DBCLONE_HOME!).list()).map((r) => r.id)).toEqual([out.id]);
    expect((await runCli(["teardown", out.id], env)).code).toBe(0);
    expect(await new CloneRegistry(env.DBCLONE_HOME!).list()).toEqual([]);
  });
});
