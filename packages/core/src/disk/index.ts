// Public surface of the disk area.
export type {
  ChildDisk,
  DiskAttachment,
  DiskDriver,
  DiskLayer,
  DiskResource,
  LayeredDiskDriver,
  PreparedBase,
  PreparedEntry,
  SealedDisk,
  StagingDisk,
} from "./types.js";
export { clonesLayers, supportsLayers } from "./types.js";
export { Qcow2Driver, type Qcow2DriverOptions } from "./qcow2.js";
export { REQUIRED_TOOLS } from "./qcow2/prerequisites.js";
export * from "./vhdx.js";
export { ReflinkDriver, type ReflinkDriverOptions } from "./reflink/driver.js";
export { reflinkUnavailableReason } from "./reflink/prerequisites.js";
export { parsePoolSize } from "./reflink/pool.js";
export { qcow2UnavailableReason } from "./qcow2/prerequisites.js";
