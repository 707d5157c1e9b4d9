// Public surface of the VHDX (Windows) disk driver; disk/index.ts re-exports it.
export { VhdxDriver, type VhdxDriverOptions } from "./vhdx/driver.js";
export { checkVhdxPrerequisites } from "./vhdx/prerequisites.js";
export { retryWithBackoff, isFileInUse, type RetryOptions } from "./vhdx/retry.js";
export { createBaseDiskpart, createChildDiskpart, diskpartPath, GPT_BASIC_DATA } from "./vhdx/scripts.js";
