// The CLI and core route SQL Server images to engine/sqlserver: build from a backup chain, clone and
// teardown, on an injected Windows host with fake SQL Server, VHDX driver and PowerShell runner;
// and a Linux host refuses them before anything is created.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CloneRegistry } from "../../../packages/core/src/clones/registry.js";
import { sqlServerConnectionFromEnv, useSqlServerHost } from "../../../packages/core/src/engine/sqlserver/host.js";
import { openRepository } from "../../../packages/core/src/repository/index.js";
import { listTree, runCli } from "../../unit/cli/helpers.js";
import { installHost as installFakeHost } from "../../unit/sqlserver/routing-host.js";
import type { StepLog } from "../../unit/sqlserver/fakes.js";

let root: string;
let env: NodeJS.ProcessEnv;
let log: StepLog;

function installHost(platform: NodeJS.Platform) {
  const host = installFakeHost(platform);
  log = host.log;
  return host.exec;
}

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "dbclone-sqlrouting-"));
  env = { DBCLONE_HOME: path.join(root, "home"), DBCLONE_REPO: path.join(root, "repo") };
});

afterEach(() => {
  useSqlServerHost(undefined);
  rmSync(root, { recursive: true, force: true });
});

const BUILD = ["build", "sales", "--engine", "sqlserver", "--from-backup", "C:\\bak\\full.bak", "--log", "C:\\bak\\1.trn"];

describe("SQL Server routing", () => {
  it("refuses on a Linux host before anything is created", async () => {
    installHost("linux");
    const r = await runCli(BUILD, env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("SQL Server images need a Windows runner with SQL Server; this is linux");
    expect(log.entries).toEqual([]);
    expect(await listTree(path.join(root, "home", "work"))).toEqual([]);
    expect((await listTree(path.join(root, "repo"))).filter((f) => f.startsWith("manifests/") || f.startsWith("blobs/sha256/"))).toEqual([]);
  });

  it("build --engine sqlserver runs SqlServerEngine through the one build pipeline and publishes a windows/vhdx/sqlserver manifest", async () => {
    const exec = installHost("win32");
    const r = await runCli([...BUILD, "--json"], env);
    expect(r.stderr).not.toMatch(/^dbclone:/m);
    expect(r.code).toBe(0);
    const restore = exec.batches.filter((b) => b.sql.startsWith("RESTORE "));
    expect(restore.map((b) => b.params.file ?? null)).toEqual([
      "C:\\bak\\full.bak",
      "C:\\bak\\1.trn",
      "C:\\bak\\full.bak",
      "C:\\bak\\1.trn",
      "C:\\bak\\full.bak",
      "C:\\bak\\1.trn",
      null,
    ]);
    expect(log.entries.some((e) => e.startsWith("disk: seal"))).toBe(true);
    const repo = await openRepository(env.DBCLONE_REPO!);
    const image = await repo.resolve({ name: "sales", version: "latest" });
    expect(image.manifest.engine).toEqual({ kind: "sqlserver", version: "16.0.1000.6" });
    expect(image.manifest.platform).toEqual({ os: "windows", diskFormat: "vhdx", filesystem: "ntfs" });
    expect(image.manifest.source.kind).toBe("backup-chain");
    expect(image.manifest.source.description).toBe("full.bak + 1.trn");
    expect(image.manifest.databases.map((d) => d.name)).toEqual(["Sales"]);
    expect(await listTree(path.join(root, "home", "work"))).toEqual([]);
  });

  it("build --policy masks after the restore and before the scrub, and records masking in the manifest", async () => {
    const exec = installHost("win32");
    exec.on("DISTINCT CAST(t.[email]", [[{ v: "someone.real@corp.example" }, { v: "other.person@corp.example" }]]);
    const policy = path.join(root, "policy.yml");
    writeFileSync(policy, "databases:\n  Sales:\n    tables:\n      customers:\n        columns:\n          email: email\n");
    vi.stubEnv("DBCLONE_MASKING_KEY", "routing-test-key-0123456789"); // the key is read from the process environment
    const r = await runCli([...BUILD, "--policy", policy], env).finally(() => vi.unstubAllEnvs());
    expect(r.stderr).not.toMatch(/^dbclone:/m);
    const sqls = exec.batches.map((b) => b.sql);
    const at = (text: string) => sqls.findIndex((q) => q.includes(text));
    expect(at("RESTORE DATABASE @db WITH RECOVERY")).toBeLessThan(at("UPDATE t SET"));
    expect(at("WITH CHECK CHECK CONSTRAINT")).toBeLessThan(at("sp_clean_db_free_space"));
    const image = await (await openRepository(env.DBCLONE_REPO!)).resolve({ name: "sales", version: "latest" });
    expect(image.manifest.masking).toMatchObject({
      rules: [{ database: "Sales", table: "dbo.customers", column: "email", transformer: "email" }],
      leakScan: { hits: 0, probes: 2 },
    });
  });

  it("clone reaches cloneSqlServer and records a host clone; teardown reaches teardownSqlServer", async () => {
    const exec = installHost("win32");
    expect((await runCli(BUILD, env)).code).toBe(0);
    log.entries.length = 0;
    const c = await runCli(["clone", "sales:latest", "--json", "--name", "pr-7"], env);
    expect(c.stderr).not.toMatch(/^dbclone:/m);
    const out = JSON.parse(c.stdout);
    expect(Object.keys(out)).toEqual(expect.arrayContaining(["user", "password", "databases", "connectionString"]));
    expect(out.databases).toEqual([`Sales__${out.id}`]);
    expect(out.user).toBe(`dbclone_${out.id}`);
    expect(out.connectionString).toBe(
      `Server=localhost,1433;Database=Sales__${out.id};User Id=dbclone_${out.id};Password=${out.password};Encrypt=True;TrustServerCertificate=True`,
    );
    expect(log.entries.some((e) => e.includes("FOR ATTACH") || e.includes("CREATE DATABASE"))).toBe(true);
    expect(log.entries.some((e) => e.startsWith("command: icacls"))).toBe(true);
    const record = (await new CloneRegistry(env.DBCLONE_HOME!).list())[0]!;
    expect(record).toMatchObject({ engine: "sqlserver", runtime: "host", state: "ready", port: 1433, host: "localhost" });

    // Asking again by name hands the same clone back.
    const again = JSON.parse((await runCli(["clone", "sales:latest", "--json", "--name", "pr-7"], env)).stdout);
    expect(again).toMatchObject({ id: out.id, created: false });

    log.entries.length = 0;
    const t = await runCli(["teardown", out.id], env);
    expect(t.code).toBe(0);
    expect(log.entries.some((e) => e.includes("sp_detach_db") && e.includes(`Sales__${out.id}`))).toBe(true);
    expect(exec.batches.some((b) => b.sql.includes(`DROP LOGIN [dbclone_${out.id}]`))).toBe(true);
    expect(log.entries.at(-1)).toMatch(/^disk: destroy .*child\.vhdx$/);
    expect(await new CloneRegistry(env.DBCLONE_HOME!).list()).toEqual([]);
  });

  it("gc keeps a live SQL Server clone (no process of ours to watch) and removes it once expired", async () => {
    const exec = installHost("win32");
    expect((await runCli(BUILD, env)).code).toBe(0);
    const out = JSON.parse((await runCli(["clone", "sales:latest", "--json", "--ttl", "1h"], env)).stdout);
    const { collectGarbage } = await import("../../../packages/core/src/clones/gc.js");
    const { silentReporter } = await import("../../../packages/core/src/reporter.js");
    const kept = await collectGarbage({ home: env.DBCLONE_HOME!, reporter: silentReporter });
    expect(kept).toMatchObject({ expired: [], orphans: [] });
    const later = await collectGarbage({ home: env.DBCLONE_HOME!, reporter: silentReporter, now: new Date(Date.now() + 2 * 3600_000) });
    expect(later.expired).toEqual([out.id]);
    expect(exec.batches.some((b) => b.sql.includes(`DROP LOGIN [dbclone_${out.id}]`))).toBe(true);
    expect(await new CloneRegistry(env.DBCLONE_HOME!).list()).toEqual([]);
  });

  it("a Linux host refuses to clone a SQL Server image before reserving anything", async () => {
    installHost("win32");
    expect((await runCli(BUILD, env)).code).toBe(0);
    installHost("linux");
    const c = await runCli(["clone", "sales:latest"], env);
    expect(c.stderr).toContain("SQL Server images need a Windows runner with SQL Server; this is linux");
    expect(log.entries).toEqual([]);
    expect(await new CloneRegistry(env.DBCLONE_HOME!).list()).toEqual([]);
  });

  it("the real executor loads the mssql driver at run time and reports a refused connection clearly", async () => {
    const { connectSqlServer } = await import("../../../packages/core/src/engine/sqlserver/mssql-executor.js");
    await expect(connectSqlServer({ server: "127.0.0.1", port: 1, auth: { kind: "sql", user: "sa", password: "x" }, encrypt: false }, "query")).rejects.toThrow(
      /Could not connect to SQL Server as sa@127\.0\.0\.1,1: .*Check the server name/,
    );
  });

  it("reads the connection from the environment", () => {
    expect(
      sqlServerConnectionFromEnv({
        DBCLONE_SQLSERVER: "db\\SQLEXPRESS",
        DBCLONE_SQLSERVER_USER: "CORP\\ci",
        DBCLONE_SQLSERVER_PASSWORD: "p",
        DBCLONE_SQLSERVER_TRUST_CERT: "true",
      }),
    ).toEqual({
      server: "db",
      instanceName: "SQLEXPRESS",
      auth: { kind: "ntlm", domain: "CORP", user: "ci", password: "p" },
      encrypt: true,
      trustServerCertificate: true,
    });
    expect(
      sqlServerConnectionFromEnv({
        DBCLONE_SQLSERVER: "localhost,14333",
        DBCLONE_SQLSERVER_USER: "sa",
        DBCLONE_SQLSERVER_PASSWORD: "p",
        DBCLONE_SQLSERVER_ENCRYPT: "false",
      }),
    ).toMatchObject({
      server: "localhost",
      port: 14333,
      auth: { kind: "sql", user: "sa" },
      encrypt: false,
      trustServerCertificate: false,
    });
    expect(() => sqlServerConnectionFromEnv({})).toThrow(/DBCLONE_SQLSERVER_USER/);
  });
});
