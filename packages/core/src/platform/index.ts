// Public surface of the platform area: the registry and the choices made from it.
export {
  CLONE_DISKS,
  CLONE_DISK_NAMES,
  PLATFORMS,
  assertHostFor,
  engineConnection,
  engineKinds,
  platformEntry,
  type EngineKind,
  type PlatformEntry,
} from "./registry.js";
export { CLONE_DISK_FORMATS, type CloneDiskName, type DiskFormat } from "./disk-names.js";
export {
  allCloneDiskDrivers,
  hostBuildDrivers,
  cloneDiskChoice,
  diskDriverNamed,
  diskOf,
  engineForSources,
  platformForImage,
  platformForRecord,
  type CloneDiskChoice,
  type Platform,
} from "./choose.js";
// Builds and promote: the build engines (kept out of the clone bundles' import graph).
export { buildPlatformForRecord, platformForBuild, type BuildPlatform } from "./build-platform.js";
