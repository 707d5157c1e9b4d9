// The leak-scan gate on the SQL Server path: the sealed VHDX still holds one original value (as
// SQL Server stores nvarchar, UTF-16LE) — a masking step that missed a copy, a log not cleared.
// The build must stop at the gate and publish nothing.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useSqlServerHost } from "../../../packages/core/src/engine/sqlserver/host.js";
import { openRepository } from "../../../packages/core/src/repository/index.js";
import { listTree, runCli } from "../cli/helpers.js";
import { installHost } from "./routing-host.js";

const ORIGINAL = "someone.real@corp.example";
const BUILD = ["build", "sales", "--engine", "sqlserver", "--from-backup", "C:\\bak\\full.bak", "--log", "C:\\bak\\1.trn"];

let root: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "dbclone-sqlleak-"));
  env = { DBCLONE_HOME: path.join(root, "home"), DBCLONE_REPO: path.join(root, "repo") };
});
afterEach(() => {
  useSqlServerHost(undefined);
  vi.unstubAllEnvs();
  rmSync(root, { recursive: true, force: true });
});

async function buildWithDisk(sealed: Buffer) {
  const { exec } = installHost("win32", sealed);
  exec.on("DISTINCT CAST(t.[email]", [[{ v: ORIGINAL }, { v: "other.person@corp.example" }]]);
  const policy = path.join(root, "policy.yml");
  writeFileSync(policy, "databases:\n  Sales:\n    tables:\n      customers:\n        columns:\n          email: email\n");
  vi.stubEnv("DBCLONE_MASKING_KEY", "leak-gate-test-key-0123456789");
  return runCli([...BUILD, "--policy", policy], env);
}

const published = async () => (await listTree(path.join(root, "repo"))).filter((f) => f.startsWith("manifests/") || f.startsWith("blobs/sha256/"));

describe("SQL Server build: the leak-scan gate", () => {
  it("refuses to publish a disk that still holds one original value in UTF-16LE, naming the column, never the value", async () => {
    const disk = Buffer.concat([Buffer.alloc(4096, 0), Buffer.from(ORIGINAL, "utf16le"), Buffer.alloc(4096, 0)]);
    const r = await buildWithDisk(disk);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /the leak scan found 1 original value\(s\) stored in the final disk that the published data does not explain, so nothing was published: Sales\.dbo\.customers\.email \(UTF-16LE\) in .* at byte 4096 of base\.vhdx/,
    );
    expect(r.stderr + r.stdout).not.toContain(ORIGINAL);
    expect(await published()).toEqual([]);
  });

  it("publishes the same build when the disk holds no original (the planted value is what fails it)", async () => {
    const r = await buildWithDisk(Buffer.concat([Buffer.alloc(4096, 0), Buffer.from("masked.value@example.org", "utf16le")]));
    expect(r.stderr).not.toMatch(/^dbclone:/m);
    expect(r.code).toBe(0);
    const image = await (await openRepository(env.DBCLONE_REPO!)).resolve({ name: "sales", version: "latest" });
    expect(image.manifest.masking?.leakScan).toMatchObject({ hits: 0, probes: 2 });
  });
});
