export * from "./log.js";
export { withFileLock, type FileLockOptions } from "./file-lock.js";
