// The one registry: which engine an image kind runs on, on which OS and filesystem, which disk
// driver builds and seals its images and which drivers can make its clones, in order of
// preference. Nothing else chooses; a new engine or disk driver is one entry here (and the engine's
// build and masking halves one line each in build-platform.ts and masking.ts, kept apart so that
// clone and teardown bundles do not carry them).
import path from "node:path";
import { Qcow2Driver, ReflinkDriver, qcow2UnavailableReason, reflinkUnavailableReason } from "../disk/index.js";
import type { DiskDriver } from "../disk/types.js";
import { PostgresEngine } from "../engine/index.js";
import { serverUser } from "../engine/postgres/osUser.js";
import { sqlServerHost } from "../engine/sqlserver/host.js";
import { SqlServerEngine } from "../engine/sqlserver/engine.js";
import type { CloneEngine, EngineConnection } from "../engine/types.js";
import { NotSupportedError } from "../errors.js";
import { CLONE_DISK_FORMATS, type CloneDiskName } from "./disk-names.js";
import type { ImageManifest } from "../image/manifest.js";
import { silentReporter, type Reporter } from "../reporter.js";

export interface CloneDriverEntry {
  /** The blob format it clones from (what a build driver of that format publishes). */
  format: ImageManifest["platform"]["diskFormat"];
  /** Why it cannot run on this host (undefined: it can). */
  unavailable(env: NodeJS.ProcessEnv): string | undefined;
  make(home: string, reporter?: Reporter): DiskDriver;
}

const stateDir = (home: string): string => path.join(home, "state");

/** Every clone disk driver, by the name a clone record keeps (`record.disk`) and --disk takes. */
export const CLONE_DISKS = {
  qcow2: { format: CLONE_DISK_FORMATS.qcow2, unavailable: qcow2UnavailableReason, make: (home) => new Qcow2Driver({ stateDir: stateDir(home) }) },
  reflink: {
    format: CLONE_DISK_FORMATS.reflink,
    unavailable: reflinkUnavailableReason,
    // An expanded image is walked as the database's OS user (root only mounts it).
    make: (home, reporter) => new ReflinkDriver({ home, stateDir: stateDir(home), reporter, checkAs: () => serverUser().asUser }),
  },
  // The runner's own VHDX tooling, through the SQL Server host (tests inject a fake one).
  vhdx: {
    format: CLONE_DISK_FORMATS.vhdx,
    unavailable: () => (sqlServerHost().platform === "win32" ? undefined : "VHDX disks need a Windows runner"),
    make: (home, reporter) => sqlServerHost().disk(stateDir(home), reporter ?? silentReporter),
  },
} as const satisfies Record<CloneDiskName, CloneDriverEntry>;

export const CLONE_DISK_NAMES = Object.keys(CLONE_DISKS) as CloneDiskName[];

export interface PlatformEntry {
  /** The OS the image's manifest records, and the host platforms that can serve it. */
  os: ImageManifest["platform"]["os"];
  hosts: readonly NodeJS.Platform[];
  /** The platform this engine's work runs on (SQL Server: the injected host's). */
  hostPlatform(): NodeJS.Platform;
  /** The refusal on any other host, naming what to run instead. */
  wrongHost(platform: NodeJS.Platform): string;
  /** How its clones are reached (credentials, connection strings, schema snapshots). */
  connection(): EngineConnection;
  /** The engine its clones run on (the one clone session, teardown, gc). */
  engine(home: string): CloneEngine;
  filesystem: string;
  /** The driver that makes staging disks and seals images (the distribution format). */
  buildDriver: CloneDiskName;
  /** Drivers that can make clones of its images, in order of preference when nobody asks. */
  cloneDrivers: readonly CloneDiskName[];
  /** The staging disk's file name in a build's work directory. */
  stagingName: string;
  /** Whether a clone can be promoted to a new image version. */
  promotable: boolean;
  /** A clone's server is a process (or container) of its own, so gc ends a clone whose server is gone; else only its TTL ends it. */
  serverPerClone: boolean;
  /** Several masking variants of one build restore once and mask differencing children of that staging disk. */
  sharedRestore: boolean;
}

/**
 * Preference when nobody asks: reflink (no FUSE daemon on a clone's write path; its pool is the
 * host's filesystem when it has reflinks, else a loop-mounted XFS pool file), then qcow2+FUSE.
 */
const DEFAULT_ORDER: CloneDiskName[] = ["reflink", "qcow2"];

export const PLATFORMS = {
  postgres: {
    os: "linux",
    hosts: ["linux"],
    hostPlatform: () => process.platform,
    wrongHost: (p) => `dbclone on ${p} is not supported yet: Linux runners with PostgreSQL work today.`,
    connection: () => new PostgresEngine(),
    engine: () => new PostgresEngine(),
    filesystem: "xfs",
    buildDriver: "qcow2",
    cloneDrivers: DEFAULT_ORDER,
    stagingName: "staging.qcow2",
    promotable: true,
    serverPerClone: true,
    sharedRestore: true,
  },
  sqlserver: {
    os: "windows",
    hosts: ["win32"],
    hostPlatform: () => sqlServerHost().platform,
    wrongHost: (p) => `SQL Server images need a Windows runner with SQL Server; this is ${p}. Run this on windows-latest (docs/windows.md).`,
    connection: () => new SqlServerEngine(sqlServerHost()),
    engine: () => new SqlServerEngine(sqlServerHost()),
    filesystem: "ntfs",
    buildDriver: "vhdx",
    cloneDrivers: ["vhdx"],
    stagingName: "staging.vhdx",
    promotable: false,
    // A restore attaches its databases to the service under their own names, so each variant restores its own.
    sharedRestore: false,
    // Its clones are databases attached to the runner's SQL Server service, not processes of ours.
    serverPerClone: false,
  },
} as const satisfies Record<ImageManifest["engine"]["kind"], PlatformEntry>;

export type EngineKind = keyof typeof PLATFORMS;

/** Every engine kind, for the manifest's enum check and the CLI's --engine choices. */
export function engineKinds(): EngineKind[] {
  return Object.keys(PLATFORMS) as EngineKind[];
}

export function platformEntry(kind: EngineKind): PlatformEntry {
  return PLATFORMS[kind];
}

/** Refuse an engine on a host it cannot run on, before anything is read, created or connected. */
export function assertHostFor(kind: EngineKind): void {
  const entry = platformEntry(kind);
  const platform = entry.hostPlatform();
  if (!entry.hosts.includes(platform)) throw new NotSupportedError(entry.wrongHost(platform));
}

/** How the clones of an engine kind are reached. */
export function engineConnection(kind: EngineKind): EngineConnection {
  return platformEntry(kind).connection();
}
