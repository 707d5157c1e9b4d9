// The end every build shares, whatever the engine: the manifest's common fields, publish and tag,
// and the audit record of the outcome.
import { BuildError, DbcloneError } from "../errors.js";
import { validateManifest, type ImageManifest } from "../image/manifest.js";
import type { PublishedImage } from "../repository/types.js";
import { secondsSince } from "../util/time.js";
import { TOOL_VERSION } from "../util/version.js";
import { recordDoneWork } from "../repository/audit-after-work.js";
import { maskingManifest, type MaskedBuild } from "./masking-record.js";
import type { BuildImageOptions } from "./types.js";

/** What only the engine knows; the rest of the manifest comes from the build's options. */
export type EngineManifestParts = Pick<ImageManifest, "engine" | "platform" | "databases" | "disk" | "source">;

export function buildManifest(
  opts: BuildImageOptions,
  version: string,
  startedAt: string,
  parts: EngineManifestParts,
  masked?: { record: MaskedBuild; access?: ImageManifest["access"] },
  unmasked?: ImageManifest["unmasked"],
): ImageManifest {
  return validateManifest(
    {
      schemaVersion: 1,
      name: opts.name,
      version,
      created: new Date().toISOString(),
      ...parts,
      databases: parts.databases.map((d) => ({ name: d.name, sizeBytes: d.sizeBytes, tables: d.tables })),
      git: opts.git,
      build: { ...opts.build, startedAt, finishedAt: new Date().toISOString(), toolVersion: TOOL_VERSION },
      ...(masked ? { masking: maskingManifest(masked.record, opts.masking!.policy) } : {}),
      ...(unmasked ? { unmasked } : {}),
      access: opts.access ?? masked?.access,
      labels: opts.labels ?? {},
    } satisfies Partial<ImageManifest> as unknown,
    `manifest of ${opts.name}:${version}`,
  );
}

/** Publish the blob and manifest atomically, point the build's tags at it; seconds taken. */
export async function publishBuild(opts: BuildImageOptions, manifest: ImageManifest, file: string): Promise<{ image: PublishedImage; seconds: number }> {
  const started = performance.now();
  const { repository, reporter } = opts;
  const size = manifest.disk.sizeBytes;
  const progress = reporter.progress(`Publishing ${manifest.name}:${manifest.version}`, size, { unit: "bytes" });
  const image = await repository.push(manifest, file, { onProgress: (done) => progress.update(done, size) });
  progress.finish();
  for (const tag of opts.tags ?? ["latest"]) await repository.tag(image, tag);
  return { image, seconds: secondsSince(started) };
}

/** The build is published by now: an audit log that refuses the entry is a loud warning, not a failed build. */
export async function auditBuildSuccess(opts: BuildImageOptions, image: PublishedImage): Promise<void> {
  await recordDoneWork(
    opts.repository.audit,
    {
      action: "build",
      outcome: "success",
      image: `${image.name}:${image.version}`,
      digest: image.manifestDigest,
      runUrl: opts.build?.runUrl,
      commit: opts.git?.commit,
      actor: opts.build?.actor,
    },
    opts.reporter,
  );
}

/** Record the failure (best effort) and turn it into a DbcloneError for the caller to throw. */
export async function buildFailed(opts: BuildImageOptions, version: string, e: unknown): Promise<DbcloneError> {
  await opts.repository.audit
    .append({ action: "build", outcome: "failure", image: `${opts.name}:${version}`, detail: (e as Error).message.slice(0, 500), actor: opts.build?.actor })
    .catch(() => undefined);
  if (e instanceof DbcloneError) return e;
  return new BuildError(`building ${opts.name}:${version} failed: ${(e as Error).message}`, { cause: e });
}
