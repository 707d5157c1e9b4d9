// The contract every disk format implements (qcow2 on Linux, VHDX on Windows; later reflink/ZFS).
// Callers (build pipeline, clones, gc) only ever see these types.

/** A writable disk holding a fresh filesystem, mounted for the build to fill. */
export interface StagingDisk {
  /** The disk image file (qcow2 / vhdx). */
  file: string;
  /** Where its filesystem is mounted, writable. */
  mountPath: string;
  /** Everything needed to unmount it again (driver-private, JSON-serialisable). */
  attachment: DiskAttachment;
}

/** A sealed, read-only base disk: the blob that gets published. */
export interface SealedDisk {
  file: string;
  /** sha256:<hex> of the file's bytes. */
  digest: string;
  sizeBytes: number;
  virtualSizeBytes: number;
}

/** A differencing child over a read-only parent chain. */
export interface ChildDisk {
  file: string;
  /** Parent blob files, nearest first. */
  parents: string[];
}

/** A mounted disk; JSON-serialisable so the clone registry can replay its undo after a crash. */
export interface DiskAttachment {
  driver: string;
  file: string;
  mountPath: string;
  /** Driver-specific handles: daemon pid, fuse export file, loop device, … */
  handles: Record<string, string | number | undefined>;
}

/** Something a driver made and left behind (for orphan recovery by gc). */
export interface DiskResource {
  kind: "mount" | "daemon" | "fuse-export" | "loop" | "file";
  /** Path, pid or device. */
  id: string;
  /** The clone/staging directory it belongs to, when known. */
  ownerDir?: string;
  detail?: string;
}

/** An image version made ready for cloning on this runner (a reflink driver's expanded raw image). */
export interface PreparedBase {
  /** The version's key in the driver's store: its disk digest, or the digest of its layer digests. */
  key: string;
  /** The local file clones are made from. */
  file: string;
}

/** What a driver's prepare() keeps on this runner, for gc and prune. */
export interface PreparedEntry extends PreparedBase {
  bytes: number;
  lastUsedMs: number;
  /** A live clone was made from it: evict() leaves it alone. */
  inUse: boolean;
}

export interface DiskDriver {
  readonly name: string;
  /** Extension for blob files, e.g. "qcow2". */
  readonly format: "qcow2" | "vhdx";
  /** Throws MissingToolError / PrivilegeError naming what to install or allow. */
  checkPrerequisites(): Promise<void>;
  /** A new disk of `virtualSizeBytes` with a fresh filesystem, mounted writable at `mountPath`. */
  createStaging(file: string, mountPath: string, virtualSizeBytes: number): Promise<StagingDisk>;
  /** Unmount a staging disk and turn it into a compact read-only blob at `outFile`. */
  seal(staging: StagingDisk, outFile: string): Promise<SealedDisk>;
  /**
   * The caller has just verified that `file` holds `digest` (a repository pull does): record it,
   * so that createChild does not hash a GB base a second time. Optional for drivers.
   */
  rememberVerified?(file: string, digest: string): Promise<void>;
  /**
   * Optional per-image-version step, once per version on a runner, before its first clone: e.g.
   * expand the verified qcow2 layers (nearest first) into a raw image on a reflink filesystem.
   * Idempotent; createChild of a driver that has it calls it itself.
   */
  prepare?(layers: DiskLayer[]): Promise<PreparedBase>;
  /** What prepare() keeps on this runner (gc and prune weigh it against the driver's own quota). */
  listPrepared?(): Promise<PreparedEntry[]>;
  /** Drop one prepared version; one a live clone was made from, or one being prepared now, is kept. */
  evict?(key: string, reason: string): Promise<void>;
  /** A differencing child over `parentFile` (never written). `expectedDigest` is checked first. */
  createChild(parentFile: string, childFile: string, expectedDigest?: string): Promise<ChildDisk>;
  /** Mount a child (writable) at `mountPath`. */
  mount(child: ChildDisk, mountPath: string): Promise<DiskAttachment>;
  /** Unmount in the safe order; tolerant of parts already gone (a killed daemon, a dead FUSE mount). */
  unmount(attachment: DiskAttachment): Promise<void>;
  /** Delete a disk file (child or staging). Tolerates it being gone. */
  destroy(file: string): Promise<void>;
  /** Everything this driver made under `rootDir` and still present: mounts, daemons, loops, files. */
  list(rootDir: string): Promise<DiskResource[]>;
  /** Remove one leftover reported by list(). */
  release(resource: DiskResource): Promise<void>;
  /** Bytes a child disk holds of its own (default: its allocated blocks); reflink copies share the rest. */
  ownBytes?(file: string): Promise<number>;
  /** Remove what killed processes left in the driver's own storage, owned by no clone (gc). */
  sweep?(): Promise<string[]>;
}

/** One read-only layer of a layered image: its local blob file and the digest it must have. */
export interface DiskLayer {
  file: string;
  digest?: string;
}

/**
 * Drivers that stack published layers (qcow2): a clone of a promoted version reads
 * child → promoted layer(s) → base. Layers are assembled explicitly, never through header paths.
 */
export interface LayeredDiskDriver extends DiskDriver {
  /** A differencing child over `layers` (nearest first); every layer's digest is checked first. */
  createLayeredChild(layers: DiskLayer[], childFile: string): Promise<ChildDisk>;
  /** Give freed filesystem blocks back to the disk (before unmounting). */
  trim(mountPath: string): Promise<void>;
  /** An unmounted child's own clusters as a publishable read-only layer (no backing path in it). */
  sealLayer(child: ChildDisk, outFile: string): Promise<SealedDisk>;
  /** An unmounted child and all its parents flattened into one single-layer blob. */
  flatten(child: ChildDisk, outFile: string): Promise<SealedDisk>;
}

export function supportsLayers(driver: DiskDriver): driver is LayeredDiskDriver {
  const d = driver as Partial<LayeredDiskDriver>;
  return typeof d.createLayeredChild === "function" && typeof d.sealLayer === "function" && typeof d.flatten === "function";
}

/** Drivers that can clone a layered version (qcow2 stacks the layers; reflink expands them). */
export function clonesLayers(driver: DiskDriver): driver is DiskDriver & Pick<LayeredDiskDriver, "createLayeredChild"> {
  return typeof (driver as Partial<LayeredDiskDriver>).createLayeredChild === "function";
}
