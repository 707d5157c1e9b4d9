// Which disk driver and engine serve an image: from the sources at build time, from the
// manifest at clone time. Linux + PostgreSQL + qcow2 or reflink today; Windows + SQL Server + VHDX next.
import path from "node:path";
import { Qcow2Driver, ReflinkDriver, qcow2UnavailableReason, reflinkUnavailableReason } from "../disk/index.js";
import type { DiskDriver } from "../disk/types.js";
import { PostgresEngine } from "../engine/index.js";
import { serverUser } from "../engine/postgres/osUser.js";
import type { Engine } from "../engine/types.js";
import { NotSupportedError, UsageError } from "../errors.js";
import type { SourceSpec } from "../engine/types.js";
import type { ImageManifest } from "../image/manifest.js";
import type { Reporter } from "../reporter.js";

export interface Platform {
  os: "linux" | "windows";
  driver: DiskDriver;
  engine: Engine;
}

/** SQL Server images are built, cloned and torn down only on Windows: refuse before anything is created. */
export function assertSqlServerHost(platform: NodeJS.Platform): void {
  if (platform !== "win32") {
    throw new NotSupportedError(
      `SQL Server images need a Windows runner with SQL Server; this is ${platform}. Run this on windows-latest (docs/windows.md).`,
    );
  }
}

/** Which engine a build's sources are for: a SQL Server backup chain, else PostgreSQL; never a mix. */
export function engineForSources(sources: SourceSpec[]): ImageManifest["engine"]["kind"] {
  const chains = sources.filter((s) => s.kind === "backup-chain").length;
  if (chains > 0 && chains < sources.length) throw new UsageError("SQL Server backups and PostgreSQL sources cannot go into one image; build them as two images.");
  return chains > 0 ? "sqlserver" : "postgres";
}

export type CloneDiskName = "qcow2" | "reflink";

/** Every clone disk driver: why it cannot run on this host (undefined: it can), and how to make one. */
const CLONE_DISKS: Record<CloneDiskName, { unavailable(env: NodeJS.ProcessEnv): string | undefined; make(home: string, reporter?: Reporter): DiskDriver }> = {
  qcow2: { unavailable: qcow2UnavailableReason, make: (home) => new Qcow2Driver({ stateDir: path.join(home, "state") }) },
  reflink: {
    unavailable: reflinkUnavailableReason,
    // An expanded image is walked as the database's OS user (root only mounts it).
    make: (home, reporter) => new ReflinkDriver({ home, stateDir: path.join(home, "state"), reporter, checkAs: () => serverUser().asUser }),
  },
};
/**
 * Preference when nobody asks: reflink (no FUSE daemon on a clone's write path; its pool is the
 * host's filesystem when it has reflinks, else a loop-mounted XFS pool file), then qcow2+FUSE.
 */
const DEFAULT_ORDER: CloneDiskName[] = ["reflink", "qcow2"];
export const CLONE_DISK_NAMES = Object.keys(CLONE_DISKS) as CloneDiskName[];

export interface CloneDiskChoice {
  /** Drivers that work on this host, in order of preference. */
  usable: CloneDiskName[];
  skipped: { name: CloneDiskName; reason: string }[];
}

function asDiskName(name: string, source: string): CloneDiskName {
  if ((CLONE_DISK_NAMES as string[]).includes(name)) return name as CloneDiskName;
  throw new UsageError(`${source} must be one of ${CLONE_DISK_NAMES.join(", ")}, got '${name}'`);
}

/**
 * Clone drivers that work on this host, in order of preference, with the reason each skipped one
 * is skipped. `requested` (--disk, the action's disk input) allows only that driver; otherwise
 * DBCLONE_DISK names the preferred one and the others follow as fallbacks.
 */
export function cloneDiskChoice(requested?: string, env: NodeJS.ProcessEnv = process.env): CloneDiskChoice {
  let order: CloneDiskName[];
  if (requested) order = [asDiskName(requested, "--disk")];
  else if (env.DBCLONE_DISK) {
    const preferred = asDiskName(env.DBCLONE_DISK, "DBCLONE_DISK");
    order = [preferred, ...DEFAULT_ORDER.filter((n) => n !== preferred)];
  } else order = DEFAULT_ORDER;
  const choice: CloneDiskChoice = { usable: [], skipped: [] };
  for (const name of order) {
    const reason = CLONE_DISKS[name].unavailable(env);
    if (reason) choice.skipped.push({ name, reason });
    else choice.usable.push(name);
  }
  if (requested && choice.usable.length === 0) {
    throw new NotSupportedError(`--disk ${requested} cannot be used on this host: ${choice.skipped[0]!.reason}.`);
  }
  return choice;
}

/** The driver of this name (teardown, gc and promote use the one that made the clone). */
export function diskDriverNamed(name: CloneDiskName, home: string, reporter?: Reporter): DiskDriver {
  return CLONE_DISKS[name].make(home, reporter);
}

/** Every clone disk driver, for gc's orphan search: a clone may have been made by any of them. */
export function allCloneDiskDrivers(home: string, reporter?: Reporter): DiskDriver[] {
  return CLONE_DISK_NAMES.map((n) => diskDriverNamed(n, home, reporter));
}

/** The platform a new clone uses: the first usable driver (each skipped one is logged with why). */
export function clonePlatformFor(
  engineKind: ImageManifest["engine"]["kind"],
  home: string,
  opts: { disk?: string; reporter: Reporter },
): Platform & { disk: CloneDiskName } {
  const choice = cloneDiskChoice(opts.disk);
  // Nothing usable: take the first preference anyway, so its prerequisite check names what to install.
  const disk = choice.usable[0] ?? choice.skipped[0]!.name;
  for (const s of choice.skipped) if (s.name !== disk) opts.reporter.info(`Disk driver ${s.name} skipped: ${s.reason}.`);
  return { ...platformFor(engineKind, home, disk, opts.reporter), disk };
}

/** Builds, scans and sweeps use qcow2 (the distribution format); clones pass the driver that made them. */
export function platformFor(engineKind: ImageManifest["engine"]["kind"], home: string, disk: CloneDiskName = "qcow2", reporter?: Reporter): Platform {
  if (engineKind === "sqlserver") assertSqlServerHost(process.platform);
  if (process.platform !== "linux") {
    throw new NotSupportedError(`dbclone on ${process.platform} is not supported yet: Linux runners with PostgreSQL work today.`);
  }
  if (engineKind !== "postgres") {
    throw new NotSupportedError(`${engineKind} images are built and cloned by their own path (build/build-sqlserver.ts, clones/sqlserver-clone.ts), not by platformFor.`);
  }
  return { os: "linux", driver: diskDriverNamed(disk, home, reporter), engine: new PostgresEngine() };
}
