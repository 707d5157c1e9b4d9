// buildImage for SQL Server backup chains (Windows): refuse anything but a Windows host before any
// work, run engine/sqlserver/build.ts (restore → mask → scrub → fresh VHDX → seal) through the
// host's connection and VHDX driver, leak-scan a masked disk, then publish like the Linux path
// (publish-build.ts). The version was checked free by buildImage before it routed here.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { buildSqlServerImage } from "../engine/sqlserver/build.js";
import { firstRow } from "../engine/sqlserver/executor.js";
import { sqlServerHost } from "../engine/sqlserver/host.js";
import { assertHostFor, diskDriverNamed, platformEntry } from "../platform/index.js";
import type { SourceSpec } from "../engine/types.js";
import { leakScanOrFail } from "../masking/build-step.js";
import { maskingReport, type MaskedBuild } from "./masking-record.js";
import { auditBuildSuccess, buildFailed, buildManifest, publishBuild } from "./publish-build.js";
import { secondsSince } from "../util/time.js";
import type { BuildImageOptions, BuildResult } from "./types.js";

type BackupChainSource = Extract<SourceSpec, { kind: "backup-chain" }>;

/** `opts.name` is already the variant's image name; `version` is resolved. */
export async function buildSqlServer(opts: BuildImageOptions, version: string): Promise<BuildResult> {
  assertHostFor("sqlserver"); // before anything is read, created or connected
  const host = sqlServerHost();
  const platform = platformEntry("sqlserver");
  const { reporter } = opts;
  const variant = opts.masking?.variant;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const sources = opts.sources as BackupChainSource[];
  const disk = diskDriverNamed(platform.buildDriver, opts.home, reporter);
  await disk.checkPrerequisites();
  const exec = await host.connect("restore");
  const workDir = path.join(opts.home, "work", `build-${crypto.randomBytes(5).toString("hex")}`);
  try {
    await fs.mkdir(workDir, { recursive: true });
    const serverVersion = String(firstRow(await exec.execute("SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(64)) AS v;"))?.v ?? "unknown");
    reporter.info(`Restoring ${sources.length} backup chain(s) onto a staging VHDX`);
    const built = await buildSqlServerImage(
      { exec, disk, files: host.files, reporter },
      {
        sources,
        workDir,
        outFile: path.join(workDir, `base.${disk.format}`),
        // Sized from the backups (RESTORE FILELISTONLY) unless the caller asks for more.
        ...(opts.diskSizeBytes ? { diskSizeBytes: opts.diskSizeBytes } : {}),
        ...(opts.masking ? { masking: { policy: opts.masking.policy, key: opts.masking.key.bytes, variant } } : {}),
      },
    );
    const restoreSeconds = secondsSince(started);
    const masked = built.masking;
    const leakScan = masked ? await leakScanOrFail(built.sealed.file, masked.run, reporter) : undefined;
    // The PII scan of unlisted columns is PostgreSQL-only for now: none recorded here.
    const record: MaskedBuild | undefined = masked && leakScan ? { run: masked.run, leakScan, piiCandidates: [], variant } : undefined;
    const manifest = buildManifest(
      opts,
      version,
      startedAt,
      {
        engine: { kind: "sqlserver", version: serverVersion },
        platform: { os: platform.os, diskFormat: disk.format, filesystem: platform.filesystem },
        databases: built.databases,
        disk: { digest: built.sealed.digest, sizeBytes: built.sealed.sizeBytes, virtualSizeBytes: built.sealed.virtualSizeBytes },
        source: {
          kind: "backup-chain",
          description: sources
            .map((s) =>
              [s.full, s.differential, ...(s.logs ?? [])]
                .filter(Boolean)
                .map((f) => path.win32.basename(f!))
                .join(" + "),
            )
            .join("; "),
          capturedAt: startedAt,
          backupChain: {
            databases: built.chains.map((c) => ({
              database: c.databaseName,
              fullLastLsn: String(c.full.lastLsn),
              ...(c.differential ? { differentialLastLsn: String(c.differential.lastLsn) } : {}),
              logs: c.logs.length,
              ...(c.logs.length ? { lastLsn: String(c.logs.at(-1)!.lastLsn) } : {}),
            })),
          },
        },
      },
      record && { record, access: masked?.resolved.access },
    );
    const { image, seconds: publishSeconds } = await publishBuild(opts, manifest, built.sealed.file);
    await auditBuildSuccess(opts, image);
    return {
      image,
      timings: { restoreSeconds, sealSeconds: 0, publishSeconds, totalSeconds: secondsSince(started) },
      ...(record ? { masking: maskingReport(record) } : {}),
    };
  } catch (e) {
    throw await buildFailed(opts, version, e);
  } finally {
    await exec.close().catch(() => undefined);
    await fs.rm(workDir, { recursive: true, force: true });
  }
}
