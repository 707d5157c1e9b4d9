// A SQL Server clone never outlives its repository's maxTtl either, whatever --ttl asks for.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloneRegistry } from "../../../packages/core/src/clones/registry.js";
import { useSqlServerHost } from "../../../packages/core/src/engine/sqlserver/host.js";
import { runCli } from "../../unit/cli/helpers.js";
import { installHost } from "../../unit/sqlserver/routing-host.js";

const BUILD = ["build", "sales", "--engine", "sqlserver", "--from-backup", "C:\\bak\\full.bak", "--log", "C:\\bak\\1.trn"];
let root: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "dbclone-sqlttl-"));
  env = { DBCLONE_HOME: path.join(root, "home"), DBCLONE_REPO: path.join(root, "repo") };
});
afterEach(() => {
  useSqlServerHost(undefined);
  rmSync(root, { recursive: true, force: true });
});

describe("SQL Server clone lifetime", () => {
  it("caps --ttl 2d at the repository's maxTtl of 1h", async () => {
    installHost("win32");
    expect((await runCli(BUILD, env)).code).toBe(0);
    const configFile = path.join(env.DBCLONE_REPO!, "dbclone-repository.json");
    const config = JSON.parse(readFileSync(configFile, "utf8"));
    writeFileSync(configFile, JSON.stringify({ ...config, config: { maxTtl: "1h" } }));
    const c = await runCli(["clone", "sales:latest", "--json", "--ttl", "2d"], env);
    expect(c.stderr).not.toMatch(/^dbclone:/m);
    const record = (await new CloneRegistry(env.DBCLONE_HOME!).list())[0]!;
    const lifetime = (Date.parse(record.expiresAt!) - Date.parse(record.createdAt)) / 1000;
    expect(lifetime).toBeGreaterThan(3600 - 120);
    expect(lifetime).toBeLessThanOrEqual(3600);
  });
});
