// Build an image, the same sequence for every engine: prerequisites → probe → staging disk → restore →
// start → inventory → [mask] → scrub → fresh disk → copy fresh → [finish fresh] → seal → [leak scan] →
// manifest → publish → audit. The published base is written fresh (a new filesystem holding only the
// live data files and a new log/WAL), so it carries no dead space and none of the staging disk's residue.
// What differs per engine is behind the Engine contract (engine/types.ts), chosen by platform/.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { makeDir, TRAVERSABLE_DIR } from "../util/paths.js";
import { ImageNotFoundError, SourceError, UsageError, VersionExistsError } from "../errors.js";
import { manifestSchema, VERSION_PATTERN } from "../image/manifest.js";
import { CleanupStack } from "../util/cleanup.js";
import { freePort } from "../util/net.js";
import { secondsSince, timestampVersion } from "../util/time.js";
import { engineForSources, platformForBuild } from "../platform/index.js";
import { maskingFor } from "../platform/masking.js";
import type { BuildImageOptions, BuildResult } from "./types.js";
import { guardUnmaskedBuild, leakScanOrFail, maskForBuild, scanDataFilesForLeaks, skippedLeakScan, type MaskingStepResult } from "../masking/build-step.js";
import { maskingReport, notPersonalRecord, type MaskedBuild } from "./masking-record.js";
import { auditBuildSuccess, buildFailed, buildManifest, publishBuild } from "./publish-build.js";
import { variantImageName } from "../masking/variants.js";
import { pausePoint } from "../util/pause-point.js";
import { newBuildRecord, writeBuildRecord } from "../util/build-record.js";
import { diskFullError } from "../util/disk-full.js";
import { sourceFileDigests } from "./source-files.js";

export async function buildImage(input: BuildImageOptions): Promise<BuildResult> {
  const variant = input.masking?.variant;
  // A variant is its own image name, so versions and tags stay per variant.
  const opts = variant ? { ...input, name: variantImageName(input.name, variant) } : input;
  const { reporter } = opts;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const version = opts.version ?? timestampVersion();
  checkNameAndVersion(opts.name, version);
  if (opts.sources.length === 0) throw new UsageError("build needs at least one source: --from-dump, --from-datadir or --from-server.");
  if (opts.unmasked && opts.masking) throw new UsageError("--unmasked is for a build without a policy; this build has one: drop --unmasked or the policy.");
  if (opts.unmasked && !opts.unmasked.reason.trim())
    throw new UsageError("--unmasked needs a reason (why this personal data may be published unmasked); it is recorded in the manifest.");
  await refuseExistingVersion(opts, version);
  // Refuses a host the engine cannot run on (SQL Server: not Windows) before anything is read, created or connected.
  const platform = platformForBuild(engineForSources(opts.sources), opts.home, reporter);
  const { os: platformOs, driver, engine } = platform;
  await driver.checkPrerequisites();
  await engine.checkPrerequisites();
  const described = [];
  for (const source of opts.sources) described.push(await engine.probeSource(source));
  const sourceFiles = await sourceFileDigests(opts.sources, reporter);

  const workDir = path.join(opts.home, "work", `build-${crypto.randomBytes(5).toString("hex")}`);
  // Private to root; 0711 so the server user can traverse to the staging mount inside it.
  await makeDir(workDir, TRAVERSABLE_DIR);
  // Recorded before anything is made in it: gc sweeps the dir of a build whose process is gone.
  const buildRecord = newBuildRecord(workDir, `${opts.name}:${version}`);
  await writeBuildRecord(workDir, buildRecord);
  const cleanup = new CleanupStack(reporter);
  cleanup.push("remove the build's work directory", () => fs.rm(workDir, { recursive: true, force: true }));

  try {
    // Sized (and the sources checked further: SQL Server reads every backup's headers) before any disk exists.
    const virtualSize = await engine.stagingSize(opts.sources, opts.diskSizeBytes, reporter);
    // A variant of a multi-variant build masks a differencing child of the one shared restore (build-variants.ts).
    if (!opts.restored) reporter.info(`Restoring ${opts.sources.length} source(s) onto a staging disk`);
    const stagingAt = [path.join(workDir, platform.entry.stagingName), path.join(workDir, "staging")] as const;
    const staging = opts.restored ? await opts.restored.stagingDisk(...stagingAt) : await driver.createStaging(...stagingAt, virtualSize);
    cleanup.push("remove the staging disk", async () => {
      await driver.unmount(staging.attachment);
      await driver.destroy(staging.file);
    });
    const engineInfo = opts.restored ? opts.restored.engineInfo : await engine.restore(opts.sources, staging.mountPath, reporter);
    const server = await engine.start(staging.mountPath, { port: await freePort(), runDir: path.join(workDir, "run") }, reporter);
    cleanup.push("stop the build server", () => engine.stop(server, { fast: true }));
    // pid 0: the engine's server is not a process of ours (SQL Server's service).
    if (server.pid) await writeBuildRecord(workDir, { ...buildRecord, serverPid: server.pid });
    await pausePoint("build:restored");
    let databases = nonEmpty(await engine.inventory(server), "The source(s) hold no database with tables (an empty 'postgres' database does not count)");
    let masked: MaskingStepResult | undefined;
    let unmasked: Awaited<ReturnType<typeof guardUnmaskedBuild>>;
    if (!opts.masking) unmasked = await guardUnmaskedBuild(maskingFor(platform.kind, server), databases, opts.unmasked, reporter);
    if (opts.masking) {
      // The leak scan's temporary files (originals spill, published data, partitions) in the work directory: gc removes it after a crash.
      masked = await maskForBuild(maskingFor(platform.kind, server), databases, { ...opts.masking, tempDir: workDir }, reporter);
      const spilled = masked.run.originals;
      cleanup.push("remove the leak scan's spilled originals", async () => spilled.dispose());
      databases = nonEmpty(await engine.inventory(server), "After masking no table is left (the policy excludes every one)"); // excluded tables are gone
    }
    // After masking, VACUUM FULL rewrites every table: no pre-masking row version survives in a data file.
    await engine.scrub(server, reporter, { full: masked !== undefined, jobs: opts.masking?.jobs });
    await pausePoint("build:masked");
    const restoreSeconds = secondsSince(started);

    reporter.info("Writing the base disk fresh from the prepared data");
    const sealStart = performance.now();
    let fresh = await driver.createStaging(path.join(workDir, `fresh.${driver.format}`), path.join(workDir, "fresh"), virtualSize);
    // Reads `fresh` when it runs: finishFresh may have remounted it.
    cleanup.push("remove the fresh disk", async () => {
      await driver.unmount(fresh.attachment);
      await driver.destroy(fresh.file);
    });
    await engine.copyFresh(staging.mountPath, fresh.mountPath, reporter);
    // Before sealing, the data files one by one: a hit there is named by its channel (WAL, table, index).
    if (masked?.leak) await scanDataFilesForLeaks(fresh.mountPath, masked.leak);
    await pausePoint("build:fresh-written");
    await driver.unmount(staging.attachment);
    await driver.destroy(staging.file);
    if (engine.finishFresh) {
      const moved = (disk: typeof fresh): void => {
        fresh = disk;
      };
      fresh = await engine.finishFresh(fresh, { driver, stagingMount: staging.mountPath, moved }, reporter);
    }
    const sealed = await driver.seal(fresh, path.join(workDir, `base.${driver.format}`));
    const sealSeconds = secondsSince(sealStart);
    await pausePoint("build:sealed");
    // Prove it: no original may be stored anywhere on the final disk unless published data explains it (a hit throws).
    // Without a prepared scan (an engine that cannot read its published data back) every hit on the disk counts.
    const leakScan = masked
      ? masked.leak || masked.leakUnprepared
        ? await leakScanOrFail(sealed.file, masked.run, reporter, masked.leak)
        : skippedLeakScan(masked.resolved, masked.run)
      : undefined;
    const record: MaskedBuild | undefined =
      masked && leakScan
        ? { run: masked.run, leakScan, piiCandidates: masked.piiCandidates, variant, notPersonal: notPersonalRecord(masked.resolved) }
        : undefined;

    const manifest = buildManifest(
      opts,
      version,
      startedAt,
      {
        engine: { kind: engineInfo.kind, version: engineInfo.version },
        platform: { os: platformOs, diskFormat: driver.format, filesystem: platform.entry.filesystem },
        databases,
        disk: { digest: sealed.digest, sizeBytes: sealed.sizeBytes, virtualSizeBytes: sealed.virtualSizeBytes },
        source: {
          kind: opts.sources[0]!.kind,
          description: described.map((d) => d.description).join("; "),
          ...(sourceFiles.length ? { files: sourceFiles } : {}),
          capturedAt: startedAt,
          ...(engineInfo.backupChain ? { backupChain: engineInfo.backupChain } : {}),
          ...(engineInfo.rolePasswordsStripped ? { rolePasswordsStripped: true } : {}),
        },
      },
      record && { record, access: masked?.resolved.access },
      unmasked,
    );

    const { image, seconds: publishSeconds } = await publishBuild(opts, manifest, sealed.file);

    await cleanup.unwind();
    await auditBuildSuccess(opts, image);
    return {
      image,
      timings: { restoreSeconds, sealSeconds, publishSeconds, totalSeconds: secondsSince(started) },
      ...(record ? { masking: maskingReport(record) } : {}),
    };
  } catch (e) {
    // Measured before the staging goes: which filesystem filled up (host, staging or fresh disk).
    const full = await diskFullError(e, [path.join(workDir, "staging"), path.join(workDir, "fresh"), workDir], `building ${opts.name}:${version}`);
    await cleanup.unwind();
    throw await buildFailed(opts, version, full ?? e);
  }
}

function checkNameAndVersion(name: string, version: string): void {
  const nameCheck = manifestSchema().shape.name.safeParse(name);
  if (!nameCheck.success) throw new UsageError(`image name '${name}' ${nameCheck.error.issues[0]!.message}.`);
  if (!VERSION_PATTERN.test(version)) {
    throw new UsageError(`version '${version}' must be 1-128 of A-Z a-z 0-9 _ . - and not start with . or -.`);
  }
}

/** Fail before any work when the version is taken (publish is atomic regardless). */
async function refuseExistingVersion(opts: BuildImageOptions, version: string): Promise<void> {
  try {
    await opts.repository.resolve({ name: opts.name, version });
  } catch (e) {
    if (e instanceof ImageNotFoundError) return;
    throw e;
  }
  throw new VersionExistsError(`image ${opts.name} version ${version} already exists; versions are immutable: choose a new version.`);
}

/** An image holds at least one database: said before anything is written, naming why there is none. */
function nonEmpty<T>(databases: T[], why: string): T[] {
  if (databases.length === 0) throw new SourceError(`${why}: there is nothing to publish. Check the source (or the policy's exclusions) and build again.`);
  return databases;
}
