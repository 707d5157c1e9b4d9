// Asking again for a named clone: hand the live one back (by default even when the image has moved
// on, so a branch's database never loses its data to a nightly refresh), or replace it — and a
// replacement keeps the name, port, login, password, TTL and labels of the clone it replaces.
import { platformForRecord } from "../platform/index.js";
import { CloneError } from "../errors.js";
import type { PublishedImage } from "../repository/types.js";
import { isServerRunning } from "../runtime/index.js";
import type { CreateCloneOptions, OnImageChange } from "./lifecycle-types.js";
import { matchesLabels } from "./registry.js";
import type { CloneRecord } from "./types.js";
import { credentialsOf } from "./record.js";

export type NamedCloneDecision =
  | { kind: "reuse"; record: CloneRecord; newerImage?: PublishedImage }
  | { kind: "replace"; previous: CloneRecord; reason: string };

/** What to do with `existing`, the clone that already carries the requested name. */
export async function decideNamedClone(existing: CloneRecord, image: PublishedImage, opts: CreateCloneOptions): Promise<NamedCloneDecision> {
  assertInScope(existing, opts.scope);
  const what = `clone ${existing.id} (${existing.name})`;
  const held = `${existing.image.name}:${existing.image.version}`;
  if (opts.reset)
    return {
      kind: "replace",
      previous: existing,
      reason: `reset requested: the data of ${what} is discarded and it is made again from ${image.name}:${image.version}`,
    };

  const platform = platformForRecord(existing, opts.home);
  // A clone attached to a shared server (SQL Server) has no process of its own: the identity proof below decides.
  const running = existing.state === "ready" && (!platform.entry.serverPerClone || (await isServerRunning(existing).catch(() => false)));
  if (!running) {
    const why = existing.state === "ready" ? "its server is not running" : `it is still '${existing.state}' (an earlier run stopped half-way)`;
    return { kind: "replace", previous: existing, reason: `${what} cannot be reused: ${why}; making it again from ${image.name}:${image.version}` };
  }
  try {
    // Prove the server on its port is still that clone of its image before handing it out.
    await platform.engine.verifyIdentity(credentialsOf(existing), existing.id, existing.image.manifestDigest);
  } catch (e) {
    return { kind: "replace", previous: existing, reason: `${what} does not answer as itself (${(e as Error).message}); making it again` };
  }
  if (existing.image.manifestDigest === image.manifestDigest) return { kind: "reuse", record: existing };

  const mode: OnImageChange = opts.onImageChange ?? "keep";
  if (mode === "keep") return { kind: "reuse", record: existing, newerImage: image };
  if (mode === "recreate") {
    return {
      kind: "replace",
      previous: existing,
      reason: `on-image-change recreate: ${what} held ${held}; its data and every change made since ${existing.createdAt} are discarded for ${image.name}:${image.version}`,
    };
  }
  throw new CloneError(
    `${what} holds ${held}, but ${askedFor(opts.ref, image)}, and on-image-change is 'fail'. ` +
      "Keep the clone and its data (on-image-change: keep), take the new version (on-image-change: recreate, or reset), or tear it down first.",
  );
}

/** A name taken by a clone outside the caller's scope (another repository's) is neither reused nor replaced. */
function assertInScope(existing: CloneRecord, scope: Record<string, string> | undefined): void {
  if (!scope || Object.keys(scope).length === 0 || matchesLabels(existing, scope)) return;
  const wanted = Object.entries(scope)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  throw new CloneError(
    `a clone named '${existing.name}' already exists on this runner, but it was not made with ${wanted}: it is neither reused nor replaced. Choose another name.`,
  );
}

/** The lifetime a replacement gets when the caller gives none: the one its predecessor was given. */
export function inheritedTtl(previous: CloneRecord): number | undefined {
  if (previous.ttlSeconds !== undefined) return previous.ttlSeconds;
  if (!previous.expiresAt) return undefined;
  const seconds = Math.round((Date.parse(previous.expiresAt) - Date.parse(previous.createdAt)) / 1000);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/** "shop:latest is now shop:v2", or for a digest-pinned request "shop:v2 was asked for". */
export function askedFor(ref: string, image: { name: string; version: string }): string {
  return ref.includes("@") ? `${image.name}:${image.version} was asked for` : `${ref} is now ${image.name}:${image.version}`;
}
