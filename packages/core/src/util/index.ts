// Public surface of util/: small helpers every layer (and the CLI, actions, bench) may use.
export { CleanupStack } from "./cleanup.js";
export { diskFullError, isDiskFull } from "./disk-full.js";
export { exists } from "./exists.js";
export { DEFAULT_TTL, DURATION_EXAMPLES, formatDuration, parseDuration, parseTtl, parseWholeSeconds } from "./duration.js";
export { syncDir, TEMP_PREFIX, tempPath, unlinkQuietly, writeDurable, writeFileAtomic } from "./durable-write.js";
export { freePort } from "./net.js";
export { dbcloneHome, defaultRepository, makeDir, PRIVATE_DIR, TRAVERSABLE_DIR } from "./paths.js";
export { currentProcess, ownerAlive, type ProcessIdentity } from "./process-identity.js";
export { type FileStamp, sameStamp, StampedDigestCache, stampOf } from "./stamped-digests.js";
export { secondsSince, timestampVersion } from "./time.js";
export { type FileLockOptions, withFileLock } from "./file-lock.js";
export { TOOL_VERSION } from "./version.js";
