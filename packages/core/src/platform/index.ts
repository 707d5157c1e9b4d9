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
  buildPlatformForRecord,
  hostBuildDrivers,
  cloneDiskChoice,
  diskDriverNamed,
  diskOf,
  engineForSources,
  platformForBuild,
  platformForImage,
  platformForRecord,
  type BuildPlatform,
  type CloneDiskChoice,
  type Platform,
} from "./choose.js";
