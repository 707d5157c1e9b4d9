// `scan` of a SQL Server backup: SQL Server builds now run the one pipeline, so the build platform
// no longer refuses them by accident; the scan must refuse on purpose (it has no SQL Server PII
// scan), before anything is created, instead of reporting "no personal data".
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { scanSource } from "../../../packages/core/src/build/scan-source.js";
import { NotSupportedError } from "../../../packages/core/src/errors.js";
import { useSqlServerHost } from "../../../packages/core/src/engine/sqlserver/host.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { installHost } from "./routing-host.js";

let root: string | undefined;
afterEach(() => {
  useSqlServerHost(undefined);
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe("scan of a SQL Server backup", () => {
  it("is refused as not supported on a Windows host, and nothing is created or connected", async () => {
    const { log } = installHost("win32");
    root = mkdtempSync(path.join(os.tmpdir(), "dbclone-sqlscan-"));
    const err = await scanSource({ source: { kind: "backup-chain", full: "C:\\bak\\full.bak" }, home: root, reporter: silentReporter }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NotSupportedError);
    expect((err as Error).message).toMatch(/SQL Server backups cannot be scanned yet/);
    expect(readdirSync(root)).toEqual([]);
    expect(log.entries).toEqual([]);
  });
});
