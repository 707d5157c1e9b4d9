export * from "./types.js";
export * from "./lifecycle-types.js";
export { createClone, teardownClones, collectGarbage } from "./lifecycle.js";
export { CloneRegistry, matchesLabels, clonePaths, type CloneDraft, type ReserveOptions } from "./registry.js";
export { allocatePort, pickFreePort, isPortFree, DEFAULT_PORT_RANGE, type PortOptions } from "./ports.js";
export { parseDuration, formatDuration, parseTtl, DEFAULT_TTL, capTtl, expiryFrom, isExpired } from "./ttl.js";
export { newCloneId, cloneIdForIdentifier, CLONE_ID_PATTERN } from "./clone-id.js";
export { promoteClone, type PromoteCloneOptions, type PromoteResult } from "./promote.js";
