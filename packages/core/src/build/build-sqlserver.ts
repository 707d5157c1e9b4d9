// buildImage for SQL Server backup chains (Windows): refuse anything but a Windows host before any
// work, run engine/sqlserver/build.ts (restore → mask → scrub → fresh VHDX → seal) through the
// host's connection and VHDX driver, leak-scan a masked disk, then publish like the Linux path.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { BuildError, DbcloneError, ImageNotFoundError, VersionExistsError } from "../errors.js";
import { buildSqlServerImage } from "../engine/sqlserver/build.js";
import { firstRow } from "../engine/sqlserver/executor.js";
import { sqlServerHost } from "../engine/sqlserver/host.js";
import type { SourceSpec } from "../engine/types.js";
import { validateManifest, type ImageManifest } from "../image/manifest.js";
import { leakScanOrFail } from "../masking/build-step.js";
import { maskingManifest, maskingReport, type MaskedBuild } from "./masking-record.js";
import { secondsSince } from "../util/time.js";
import { TOOL_VERSION } from "../util/version.js";
import { assertSqlServerHost } from "./platform.js";
import type { BuildImageOptions, BuildResult } from "./types.js";

const GiB = 1024 ** 3;
type BackupChainSource = Extract<SourceSpec, { kind: "backup-chain" }>;

/** `opts.name` is already the variant's image name; `version` is resolved. */
export async function buildSqlServer(opts: BuildImageOptions, version: string): Promise<BuildResult> {
  const host = sqlServerHost();
  assertSqlServerHost(host.platform); // before anything is read, created or connected
  const { repository, reporter } = opts;
  const variant = opts.masking?.variant;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  try {
    await repository.resolve({ name: opts.name, version });
    throw new VersionExistsError(`image ${opts.name} version ${version} already exists; versions are immutable: choose a new version.`);
  } catch (e) {
    if (!(e instanceof ImageNotFoundError)) throw e;
  }
  const sources = opts.sources as BackupChainSource[];
  const disk = host.disk(path.join(opts.home, "state"), reporter);
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
        outFile: path.join(workDir, "base.vhdx"),
        diskSizeBytes: opts.diskSizeBytes ?? 64 * GiB,
        ...(opts.masking ? { masking: { policy: opts.masking.policy, key: opts.masking.key.bytes, variant, probeTarget: opts.masking.probeTarget } } : {}),
      },
    );
    const restoreSeconds = secondsSince(started);
    const masked = built.masking;
    const leakScan = masked ? await leakScanOrFail(built.sealed.file, masked.run, reporter) : undefined;
    // The PII scan of unlisted columns is PostgreSQL-only for now: none recorded here.
    const record: MaskedBuild | undefined = masked && leakScan ? { run: masked.run, leakScan, piiCandidates: [], variant } : undefined;
    const manifest: ImageManifest = validateManifest(
      {
        schemaVersion: 1,
        name: opts.name,
        version,
        created: new Date().toISOString(),
        engine: { kind: "sqlserver", version: serverVersion },
        platform: { os: "windows", diskFormat: "vhdx", filesystem: "ntfs" },
        databases: built.databases.map((d) => ({ name: d.name, sizeBytes: d.sizeBytes, tables: d.tables })),
        disk: { digest: built.sealed.digest, sizeBytes: built.sealed.sizeBytes, virtualSizeBytes: built.sealed.virtualSizeBytes },
        source: {
          kind: "backup-chain",
          description: sources.map((s) => [s.full, s.differential, ...(s.logs ?? [])].filter(Boolean).map((f) => path.win32.basename(f!)).join(" + ")).join("; "),
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
        git: opts.git,
        build: { ...opts.build, startedAt, finishedAt: new Date().toISOString(), toolVersion: TOOL_VERSION },
        ...(record ? { masking: maskingManifest(record, opts.masking!.policy) } : {}),
        access: opts.access ?? masked?.resolved.access,
        labels: opts.labels ?? {},
      } satisfies Partial<ImageManifest> as unknown,
      `manifest of ${opts.name}:${version}`,
    );
    const publishStart = performance.now();
    const image = await repository.push(manifest, built.sealed.file);
    for (const tag of opts.tags ?? ["latest"]) await repository.tag(image, tag);
    const publishSeconds = secondsSince(publishStart);
    await repository.audit.append({ action: "build", outcome: "success", image: `${image.name}:${image.version}`, digest: image.manifestDigest, runUrl: opts.build?.runUrl, commit: opts.git?.commit, actor: opts.build?.actor });
    return {
      image,
      timings: { restoreSeconds, sealSeconds: 0, publishSeconds, totalSeconds: secondsSince(started) },
      ...(record ? { masking: maskingReport(record) } : {}),
    };
  } catch (e) {
    await repository.audit.append({ action: "build", outcome: "failure", image: `${opts.name}:${version}`, detail: (e as Error).message.slice(0, 500), actor: opts.build?.actor }).catch(() => undefined);
    if (e instanceof DbcloneError) throw e;
    throw new BuildError(`building ${opts.name}:${version} failed: ${(e as Error).message}`, { cause: e });
  } finally {
    await exec.close().catch(() => undefined);
    await fs.rm(workDir, { recursive: true, force: true });
  }
}
