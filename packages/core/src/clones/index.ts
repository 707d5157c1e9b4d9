export * from "./types.js";
export * from "./lifecycle-types.js";
export { createClone } from "./lifecycle.js";
export { teardownClones } from "./teardown.js";
export { collectGarbage } from "./gc.js";
export { connectionStringOf, credentialsOf, serverOf } from "./record.js";
export { CloneRegistry, diskDigestsInUse, matchesLabels, type CloneDraft, type ReserveOptions } from "./registry.js";
export { childFileOf, clonePaths } from "./clone-paths.js";
export { allocatePort, pickFreePort, isPortFree, DEFAULT_PORT_RANGE, type PortOptions, type PortReservations } from "./ports.js";
export { parseDuration, formatDuration, parseTtl, DEFAULT_TTL, capTtl, expiryFrom, isExpired } from "./ttl.js";
export { newCloneId, cloneIdForIdentifier, CLONE_ID_PATTERN } from "./clone-id.js";
import type { PromoteCloneOptions, PromoteResult } from "./promote.js";
export type { PromoteCloneOptions, PromoteResult } from "./promote.js";

/** promote.ts loads on first use: every command that loads this index (all of the CLI's) would pay its ~4 ms of module set-up. */
export async function promoteClone(opts: PromoteCloneOptions): Promise<PromoteResult> {
  return (await import("./promote.js")).promoteClone(opts);
}
