// The public surface of @dbclone/core: each area's index, plus the shared contracts.
export * from "./errors.js";
export * from "./reporter.js";
export * from "./runtime/exec.js";
export * from "./util/paths.js";
export { withFileLock, type FileLockOptions } from "./util/file-lock.js";
export * from "./image/index.js";
export * from "./repository/index.js";
export * from "./audit/index.js";
export * from "./clones/index.js";
export * from "./promote/index.js";
export * from "./build/index.js";
export * from "./disk/index.js";
export * from "./demo/index.js";
export * from "./lineage/index.js";
export * from "./catalog/index.js";
export { sha256File } from "./image/index.js";
export * from "./engine/index.js";
