export type * from "./types.js";
export { FsRepository, type FsRepositoryOptions } from "./fs.js";
export { openRepository, readRepositoryConfig, type OpenRepositoryOptions } from "./open.js";
export { CONFIG_FILE, REPOSITORY_FORMAT, type RepositoryConfig } from "./layout.js";
export { OciRepository, type OciRepositoryOptions, type OciPullOptions } from "./oci/index.js";
export { BlobCache, defaultCacheDir, type BlobCacheOptions } from "./cache/index.js";
export { imageChain, pullLayers, resolveParent, MAX_CHAIN_DEPTH, type PulledLayer } from "./layers.js";
export { pruneImages, DEFAULT_KEEP_LAST, type PruneEntry, type PruneOptions, type PruneResult } from "./prune.js";
export { anchorAudit, verifyAudit, auditLogId, type AuditReport, type RunnerChainCheck } from "./audit-report.js";
