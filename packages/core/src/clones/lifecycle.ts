// createClone: resolve the image, reuse or replace a named clone (its identity proved first), then
// make a new one in the one clone session (session.ts: reserve → child → mount → start → login →
// verify → audit → ready, every step on the cleanup stack).
import { platformForImage, platformForRecord } from "../platform/index.js";
import { parseImageRef } from "../image/index.js";
import { secondsSince } from "../util/time.js";
import { StepTimer } from "../util/step-timer.js";
import type { CloneResult, CreateCloneOptions } from "./lifecycle-types.js";
import { CloneRegistry } from "./registry.js";
import type { CloneRecord } from "./types.js";
import { removeClone } from "./teardown.js";
import { assertDatabaseChoice, credentialsOf } from "./record.js";
import { askedFor, decideNamedClone } from "./named-clone.js";
import type { PublishedImage } from "../repository/types.js";
import { assertRuntimeServes, ownBytesOf, runSession } from "./session.js";

export async function createClone(opts: CreateCloneOptions): Promise<CloneResult> {
  const started = performance.now();
  const { repository, reporter } = opts;
  const registry = new CloneRegistry(opts.home);
  // From the process's start: what a user waits for includes start-up and the repository's opening.
  const steps = new StepTimer(0);
  steps.mark("open");
  const image = await steps.step("resolve", () => repository.resolve(parseImageRef(opts.ref)));
  // Chosen first: a host that cannot serve the image's engine refuses before anything is made.
  const platform = platformForImage(image.manifest.engine.kind, opts.home, { disk: opts.disk, reporter });
  assertRuntimeServes(platform, opts.runtime);
  assertDatabaseChoice(
    opts.database,
    image.manifest.databases.map((d) => d.name),
    `${image.name}:${image.version}`,
  );

  let previous: CloneRecord | undefined;
  let replaced: CloneResult["replaced"];
  const existing = opts.name ? await steps.step("find name", () => registry.findByName(opts.name!)) : undefined;
  if (existing) {
    const decision = await decideNamedClone(existing, image, opts);
    if (decision.kind === "reuse") return reuseResult(decision.record, image, decision.newerImage, opts, started);
    previous = decision.previous;
    replaced = { id: previous.id, reason: decision.reason };
    reporter.warn(`Replacing the clone named ${opts.name}: ${decision.reason}.`);
    await removeClone(previous, { home: opts.home, reporter, repository });
  }

  return runSession({ opts, image, platform, previous, replaced, started, steps });
}

/** A live named clone comes back as it is (the caller proved it is still that clone). */
async function reuseResult(
  record: CloneRecord,
  image: PublishedImage,
  newer: PublishedImage | undefined,
  opts: CreateCloneOptions,
  started: number,
): Promise<CloneResult> {
  const where = record.labels.runner ? ` on runner ${record.labels.runner}` : "";
  if (newer) {
    opts.reporter.warn(
      `Kept clone ${record.id} (${record.name})${where} with its data: it holds ${record.image.name}:${record.image.version}, ` +
        `and ${askedFor(opts.ref, newer)}. To take the new version (losing the clone's data), use on-image-change: recreate or reset.`,
    );
  } else opts.reporter.info(`Reusing clone ${record.id} (${record.name})${where} of ${record.image.name}:${record.image.version}`);
  return {
    created: false,
    clone: record,
    credentials: credentialsOf(record, opts.database),
    image,
    readySeconds: secondsSince(started),
    childDiskBytes: opts.measureChildDisk === false ? undefined : await ownBytesOf(platformForRecord(record, opts.home).driver, record.childFile),
    newerImage: newer ? { name: newer.name, version: newer.version, manifestDigest: newer.manifestDigest } : undefined,
  };
}
