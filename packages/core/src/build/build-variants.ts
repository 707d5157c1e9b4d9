// Several masking variants of one build from ONE restore: the sources are restored once onto a
// staging disk, which is then closed and only read; each variant masks its own differencing
// child (qcow2) of it and writes its own fresh base, exactly as a single build does. The unmasked
// staging is destroyed at the end, and on every failure.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { CleanupStack } from "../util/cleanup.js";
import { makeDir, TRAVERSABLE_DIR } from "../util/paths.js";
import { secondsSince } from "../util/time.js";
import { buildImage } from "./build-image.js";
import { newBuildRecord, writeBuildRecord } from "../util/build-record.js";
import { engineForSources, platformEntry, platformForBuild } from "../platform/index.js";
import type { BuildImageOptions, BuildResult, RestoredStaging } from "./types.js";

export interface VariantHooks {
  /** Options that differ per variant (a git tag planned for it, …). */
  before?(variant: string | undefined): Promise<Partial<BuildImageOptions>> | Partial<BuildImageOptions>;
  /** Called as soon as a variant is published (summaries, tags), before the next one is built. */
  after?(variant: string | undefined, result: BuildResult): Promise<void> | void;
}

const withVariant = (input: BuildImageOptions, variant: string | undefined): BuildImageOptions => {
  if (!input.masking) return input;
  const { variant: _v, ...masking } = input.masking;
  return { ...input, masking: variant ? { ...masking, variant } : masking };
};

/** Build each variant in turn; with two or more masked PostgreSQL variants, restore only once. */
export async function buildImageVariants(input: BuildImageOptions, variants: (string | undefined)[], hooks: VariantHooks = {}): Promise<BuildResult[]> {
  const results: BuildResult[] = [];
  const buildOne = async (variant: string | undefined, restored?: RestoredStaging) => {
    const result = await buildImage({ ...withVariant(input, variant), ...(await hooks.before?.(variant)), ...(restored ? { restored } : {}) });
    results.push(result);
    await hooks.after?.(variant, result);
  };
  // An engine without a shared restore (SQL Server: restored databases attach to the service by name) restores per variant.
  const kind = engineForSources(input.sources);
  if (variants.length < 2 || !input.masking || !platformEntry(kind).sharedRestore) {
    for (const v of variants) await buildOne(v);
    return results;
  }

  const { reporter } = input;
  const { driver, engine, entry } = platformForBuild(kind, input.home);
  await driver.checkPrerequisites();
  await engine.checkPrerequisites();
  const workDir = path.join(input.home, "work", `variants-${crypto.randomBytes(5).toString("hex")}`);
  await makeDir(workDir, TRAVERSABLE_DIR);
  await writeBuildRecord(workDir, newBuildRecord(workDir, `${input.name} (${variants.length} variants)`));
  const cleanup = new CleanupStack(reporter);
  cleanup.push("remove the shared staging's work directory", () => fs.rm(workDir, { recursive: true, force: true }));
  try {
    const started = performance.now();
    reporter.info(`Restoring ${input.sources.length} source(s) once onto a staging disk for ${variants.length} variants`);
    const staging = await driver.createStaging(
      path.join(workDir, entry.stagingName),
      path.join(workDir, "staging"),
      await engine.stagingSize(input.sources, input.diskSizeBytes, reporter),
    );
    cleanup.push("remove the unmasked staging disk", async () => {
      await driver.unmount(staging.attachment);
      await driver.destroy(staging.file);
    });
    const engineInfo = await engine.restore(input.sources, staging.mountPath, reporter);
    await driver.unmount(staging.attachment); // closed: from now on only the variants' children read it
    await fs.chmod(staging.file, 0o444);
    reporter.info(`Restored once in ${secondsSince(started).toFixed(1)} s; each variant masks a differencing child of that staging disk`);
    for (const variant of variants) {
      await buildOne(variant, {
        engineInfo,
        async stagingDisk(file, mountPath) {
          const child = await driver.createChild(staging.file, file);
          try {
            return { file: child.file, mountPath, attachment: await driver.mount(child, mountPath) };
          } catch (e) {
            await driver.destroy(child.file);
            throw e;
          }
        },
      });
    }
    return results;
  } finally {
    await cleanup.unwind();
  }
}
