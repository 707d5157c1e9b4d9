// The published actions and CLI have no node_modules: the SQL Server driver must load from
// dist/mssql/index.cjs beside the running bundle. Both bundles are built here with the project's
// esbuild options and run from a folder with no node_modules anywhere above it.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { afterEach, beforeEach, expect, it } from "vitest";
import { bundleOptions, repoRoot } from "../../../scripts/build.mjs";

let probeDir: string;
let outDir: string;
beforeEach(() => {
  probeDir = fs.mkdtempSync(path.join(import.meta.dirname, ".probe-"));
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-dist-"));
});
afterEach(() => {
  fs.rmSync(probeDir, { recursive: true, force: true });
  fs.rmSync(outDir, { recursive: true, force: true });
});

it("a bundle without node_modules loads the driver from dist/mssql beside it", async () => {
  const entry = path.join(probeDir, "probe.ts");
  const executor = path.join(repoRoot, "packages/core/src/engine/sqlserver/mssql-executor.ts").replace(/\\/g, "/");
  fs.writeFileSync(
    entry,
    `import { connectSqlServer } from "${executor}";
connectSqlServer({ server: "127.0.0.1", port: 1, auth: { kind: "sql", user: "sa", password: "x" }, encrypt: false }, "query")
  .then(() => process.exit(3), (e) => { console.error(e.message); process.exit(2); });`,
  );
  await build(bundleOptions(entry, path.join(outDir, "probe", "index.cjs")));
  const run = () => spawnSync(process.execPath, [path.join(outDir, "probe", "index.cjs")], { encoding: "utf8", cwd: outDir, env: { PATH: process.env.PATH } });
  const without = run();
  expect(without.stderr).toMatch(/could not be loaded.*mssql[\\/]index\.cjs is missing/s);
  await build(bundleOptions(path.join(repoRoot, "packages/core/src/engine/sqlserver/mssql-driver.ts"), path.join(outDir, "mssql", "index.cjs")));
  const withDriver = run();
  expect(withDriver.status).toBe(2);
  expect(withDriver.stderr).toMatch(/Could not connect to SQL Server as sa@127\.0\.0\.1,1/);
}, 120_000);
