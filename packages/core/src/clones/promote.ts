// Promote a clone: its writes become a new immutable image version layered on the version it
// was cloned from (or, with `flatten`, a single-layer version holding the whole chain). The clone
// is stopped cleanly, its login removed, its databases re-inventoried, and it is consumed.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { makeDir, PRIVATE_DIR } from "../util/paths.js";
import { buildPlatformForRecord, platformEntry } from "../platform/index.js";
import { supportsLayers, type SealedDisk } from "../disk/index.js";
import { grantCloneLoginGroup, readEngineFile } from "../engine/postgres/index.js";
import { CloneError, CloneNotFoundError, DbcloneError, ImageNotFoundError, NotSupportedError, UsageError, VersionExistsError } from "../errors.js";
import { parseImageRef } from "../image/reference.js";
import { validateManifest, type ImageManifest } from "../image/manifest.js";
import type { Reporter } from "../reporter.js";
import { pullLayers } from "../repository/layers.js";
import type { PublishedImage, Repository } from "../repository/types.js";
import { isAlive } from "../runtime/exec.js";
import { secondsSince } from "../util/time.js";
import { TOOL_VERSION } from "../util/version.js";
import { serverOf } from "./record.js";
import { assertCleanShutdown, resetWal } from "./promote-shutdown.js";
import { detachCloneLogin, stripRolePasswords } from "./promote-prepare.js";
import { promotedMasking } from "./promote-privacy.js";
import { CloneRegistry } from "./registry.js";
import { claimClone, removeClone } from "./teardown.js";
import { newBuildRecord, writeBuildRecord } from "../util/build-record.js";
import { isPostgresOf } from "../util/process-identity.js";
import { pausePoint } from "../util/pause-point.js";
import { recordDoneWork } from "../repository/audit-after-work.js";

export interface PromoteCloneOptions {
  repository: Repository;
  home: string;
  reporter: Reporter;
  /** Clone id or name. */
  clone: string;
  /** The new version: `name:version`. */
  as: string;
  /** Write a single-layer version (the whole chain converted) instead of a layer over the source. */
  flatten?: boolean;
  tags?: string[];
  labels?: Record<string, string>;
  git?: ImageManifest["git"];
  build?: { runUrl?: string; actor?: string };
}

export interface PromoteResult {
  image: PublishedImage;
  /** The version the clone was made from. */
  source: PublishedImage;
  flattened: boolean;
  /** Bytes of the new version's own blob (the layer, or the flattened disk). */
  blobBytes: number;
  /** Layers a clone of the new version reads (1 when flattened). */
  chainDepth: number;
  seconds: number;
}

export async function promoteClone(opts: PromoteCloneOptions): Promise<PromoteResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const { repository, reporter } = opts;
  const target = parseImageRef(opts.as);
  if (!target.version || target.digest || target.variant) throw new UsageError(`--as '${opts.as}' must be name:version (no digest or variant), e.g. shop:v2`);
  const registry = new CloneRegistry(opts.home);
  const record = await registry.get(opts.clone);
  if (!record) throw new CloneNotFoundError(`no clone '${opts.clone}' on this machine; list them with dbclone clones`);
  if (record.state !== "ready" || !record.serverPid || !isAlive(record.serverPid) || !isPostgresOf(record.serverPid, record.mountPath) || !record.attachment) {
    throw new CloneError(`clone ${record.id} is not running (state ${record.state}); only a ready clone can be promoted: tear it down and clone again`);
  }
  if (!platformEntry(record.engine).promotable) throw new NotSupportedError(`promoting ${record.engine} clones is not supported yet`);
  await refuseExisting(repository, target.name, target.version);
  const source = await repository.resolve({ name: record.image.name, digest: record.image.manifestDigest });
  const { driver, engine } = buildPlatformForRecord(record, opts.home, opts.reporter);
  if (!supportsLayers(driver)) throw new NotSupportedError(`the ${driver.name} disk driver cannot promote clones yet; clone with --disk qcow2 to promote`);
  const label = `${target.name}:${target.version}`;
  const sourceLabel = `${source.name}:${source.version}`;

  const workDir = path.join(opts.home, "work", `promote-${crypto.randomBytes(5).toString("hex")}`);
  try {
    // From here the clone is being consumed: nobody may be handed it any more.
    await claimClone(registry, record.id);
    await makeDir(workDir, PRIVATE_DIR); // the sealed layer is made here: root's alone
    await writeBuildRecord(workDir, { ...newBuildRecord(workDir, label), mounts: [] });
    // The image's own admin: dbclone's for a dump, the source's superuser for a copied cluster.
    const { adminUser } = await readEngineFile(record.mountPath);
    const server = { ...serverOf(record)!, adminUser };
    reporter.info(`Promoting clone ${record.id} of ${sourceLabel} to ${label}${opts.flatten ? " (flattened)" : ""}`);
    await detachCloneLogin(server, record.databases, record.user);
    // The next version's clone logins join the login group: it must cover what this clone created too.
    await grantCloneLoginGroup(server);
    await stripRolePasswords(server, record.databases[0] ?? "postgres");
    const databases = await engine.inventory(server);
    const engineInfo = await engine.describe(record.mountPath);
    // A clean (fast) shutdown checkpoints: the data on disk is consistent without any WAL replay.
    await engine.stop(server, { fast: true });
    await assertCleanShutdown(record.mountPath, engineInfo.version);
    await resetWal(record.mountPath, engineInfo.version);
    await pausePoint("promote:stopped");
    // Flattened: freed blocks (old WAL segments, the rewritten catalogs' old files) are discarded.
    // Not for a layer: a discard over the whole free space becomes zero clusters that quadruple it.
    if (opts.flatten) await driver.trim(record.mountPath);
    await driver.unmount(record.attachment);

    const layers = await pullLayers(repository, source);
    const child = { file: record.childFile, parents: layers.map((l) => l.file) };
    const out = path.join(workDir, `disk.${driver.format}`);
    const sealed: SealedDisk = opts.flatten ? await driver.flatten(child, out) : await driver.sealLayer(child, out);
    await pausePoint("promote:sealed");

    const masking = await promotedMasking(source, sealed, reporter);
    const manifest = validateManifest(
      {
        schemaVersion: 1,
        name: target.name,
        version: target.version,
        created: new Date().toISOString(),
        engine: { kind: engineInfo.kind, version: engineInfo.version },
        platform: source.manifest.platform,
        databases: databases.map((d) => ({ name: d.name, sizeBytes: d.sizeBytes, tables: d.tables })),
        disk: { digest: sealed.digest, sizeBytes: sealed.sizeBytes, virtualSizeBytes: sealed.virtualSizeBytes },
        ...(opts.flatten ? {} : { parent: source.manifestDigest }),
        source: {
          kind: "clone",
          description: `clone ${record.id} of ${sourceLabel} (${source.manifestDigest})`,
          capturedAt: startedAt,
          rolePasswordsStripped: true,
        },
        masking: masking.masking,
        git: opts.git,
        build: { ...opts.build, startedAt, finishedAt: new Date().toISOString(), toolVersion: TOOL_VERSION },
        access: source.manifest.access,
        labels: {
          ...source.manifest.labels,
          ...masking.labels,
          "dbclone.promoted-from": `${sourceLabel}@${source.manifestDigest}`,
          ...(opts.flatten ? { "dbclone.flattened": "true" } : {}),
          ...opts.labels,
        },
      } satisfies Partial<ImageManifest> as unknown,
      `manifest of ${label}`,
    );
    const image = await repository.push(manifest, sealed.file);
    for (const tag of opts.tags ?? []) await repository.tag(image, tag);
    await pausePoint("promote:published");
    await removeClone({ ...record, attachment: undefined, serverPid: undefined }, { home: opts.home, reporter, repository, claimed: true });
    const chainDepth = opts.flatten ? 1 : layers.length + 1;
    await recordDoneWork(
      repository.audit,
      {
        action: "promote",
        outcome: "success",
        image: label,
        digest: image.manifestDigest,
        clone: record.id,
        actor: opts.build?.actor,
        runUrl: opts.build?.runUrl,
        commit: opts.git?.commit,
        detail: `from ${sourceLabel}; ${opts.flatten ? "flattened" : `layer of ${chainDepth}`}; blob ${sealed.sizeBytes} bytes`,
      },
      reporter,
    );
    return { image, source, flattened: Boolean(opts.flatten), blobBytes: sealed.sizeBytes, chainDepth, seconds: secondsSince(started) };
  } catch (e) {
    await repository.audit
      .append({ action: "promote", outcome: "failure", image: label, clone: record.id, detail: (e as Error).message.slice(0, 500), actor: opts.build?.actor })
      .catch(() => undefined);
    reporter.warn(`Clone ${record.id} may be stopped now; remove it with: dbclone teardown ${record.id}`);
    if (e instanceof DbcloneError) throw e;
    throw new CloneError(`promoting clone ${record.id} to ${label} failed: ${(e as Error).message}`, { cause: e });
  } finally {
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

async function refuseExisting(repository: Repository, name: string, version: string): Promise<void> {
  try {
    await repository.resolve({ name, version });
  } catch (e) {
    if (e instanceof ImageNotFoundError) return;
    throw e;
  }
  throw new VersionExistsError(`image ${name} version ${version} already exists; versions are immutable: choose a new version`);
}
