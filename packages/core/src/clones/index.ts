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
// promoteClone is the promote area's (promote/index.ts): loaded only by what promotes.
export type { PromoteCloneOptions, PromoteResult } from "./promote.js";
