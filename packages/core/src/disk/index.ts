// Public surface of the disk area.
export type { ChildDisk, DiskAttachment, DiskDriver, DiskLayer, DiskResource, LayeredDiskDriver, SealedDisk, StagingDisk } from "./types.js";
export { supportsLayers } from "./types.js";
export { Qcow2Driver, type Qcow2DriverOptions } from "./qcow2.js";
export { REQUIRED_TOOLS } from "./qcow2/prerequisites.js";
export { sha256File } from "./qcow2/verified-digests.js";
export * from "./vhdx.js";
