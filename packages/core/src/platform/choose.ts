// Choosing from the registry: the platform of a build's sources, of an image being cloned (the
// first clone driver that works on this host, or the one --disk names), and of a clone record
// (torn down by the driver that made it).
import type { DiskDriver } from "../disk/types.js";
import type { CloneEngine, SourceSpec } from "../engine/types.js";
import { NotSupportedError, UsageError } from "../errors.js";
import type { Reporter } from "../reporter.js";
import type { CloneDiskName } from "./disk-names.js";
import { assertHostFor, CLONE_DISKS, engineKinds, platformEntry, type EngineKind, type PlatformEntry } from "./registry.js";

export interface Platform {
  kind: EngineKind;
  entry: PlatformEntry;
  os: PlatformEntry["os"];
  driver: DiskDriver;
  /** The disk driver's name, as a clone record keeps it. */
  disk: CloneDiskName;
  /** The engine its clones run on. */
  engine: CloneEngine;
}

/** Which engine a build's sources are for: a SQL Server backup chain, else PostgreSQL; never a mix. */
export function engineForSources(sources: SourceSpec[]): EngineKind {
  const chains = sources.filter((s) => s.kind === "backup-chain").length;
  if (chains > 0 && chains < sources.length)
    throw new UsageError("SQL Server backups and PostgreSQL sources cannot go into one image; build them as two images.");
  return chains > 0 ? "sqlserver" : "postgres";
}

export interface CloneDiskChoice {
  /** Drivers that work on this host, in order of preference. */
  usable: CloneDiskName[];
  skipped: { name: CloneDiskName; reason: string }[];
}

function asDiskName(name: string, source: string, allowed: readonly CloneDiskName[]): CloneDiskName {
  if ((allowed as readonly string[]).includes(name)) return name as CloneDiskName;
  throw new UsageError(`${source} must be one of ${allowed.join(", ")}, got '${name}'`);
}

/**
 * Clone drivers that work on this host, in order of preference, with the reason each skipped one
 * is skipped. `requested` (--disk, the action's disk input) allows only that driver; otherwise
 * DBCLONE_DISK names the preferred one and the others follow as fallbacks. `preference`: the
 * engine's clone drivers (default PostgreSQL's).
 */
export function cloneDiskChoice(
  requested?: string,
  env: NodeJS.ProcessEnv = process.env,
  preference: readonly CloneDiskName[] = platformEntry("postgres").cloneDrivers,
): CloneDiskChoice {
  let order: CloneDiskName[];
  if (requested) order = [asDiskName(requested, "--disk", preference)];
  else if (env.DBCLONE_DISK && preference.length > 1) {
    const preferred = asDiskName(env.DBCLONE_DISK, "DBCLONE_DISK", preference);
    order = [preferred, ...preference.filter((n) => n !== preferred)];
  } else order = [...preference];
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

/** The build drivers of the engines this host serves: what a dead build's work directory may hold. */
export function hostBuildDrivers(home: string, reporter?: Reporter): DiskDriver[] {
  const names = new Set(
    engineKinds()
      .filter(servedHere)
      .map((k) => platformEntry(k).buildDriver),
  );
  return [...names].map((n) => diskDriverNamed(n, home, reporter));
}

const servedHere = (k: EngineKind): boolean => platformEntry(k).hosts.includes(platformEntry(k).hostPlatform());

/**
 * Every clone disk driver of the engines this host serves, for gc's orphan search: a clone may
 * have been made by any of them (usable now or not: a driver's leftovers outlive its tools).
 */
export function allCloneDiskDrivers(home: string, reporter?: Reporter): DiskDriver[] {
  const served = engineKinds().filter(servedHere);
  const names = new Set(served.flatMap((k) => platformEntry(k).cloneDrivers));
  return [...names].map((n) => diskDriverNamed(n, home, reporter));
}

/** The engine kind's platform with the disk driver `disk` (the host checked first). */
export function platformWith(kind: EngineKind, home: string, disk: CloneDiskName, reporter?: Reporter): Platform {
  assertHostFor(kind);
  const entry = platformEntry(kind);
  return { kind, entry, os: entry.os, driver: diskDriverNamed(disk, home, reporter), disk, engine: entry.engine(home) };
}

/** The platform a new clone of an image uses: the first usable driver (each skipped one is logged with why), or `disk`. */
export function platformForImage(kind: EngineKind, home: string, opts: { disk?: string; reporter: Reporter }): Platform {
  assertHostFor(kind);
  const choice = cloneDiskChoice(opts.disk, process.env, platformEntry(kind).cloneDrivers);
  // Nothing usable: take the first preference anyway, so its prerequisite check names what to install.
  const disk = choice.usable[0] ?? choice.skipped[0]!.name;
  for (const s of choice.skipped) if (s.name !== disk) opts.reporter.info(`Disk driver ${s.name} skipped: ${s.reason}.`);
  return platformWith(kind, home, disk, opts.reporter);
}

/** The driver that made a clone's disk: recorded at reserve time; older records are qcow2 (or reflink by their attachment). */
export function diskOf(record: { engine: EngineKind; disk?: CloneDiskName; attachment?: { driver: string } }): CloneDiskName {
  if (record.disk) return record.disk;
  if (record.engine === "sqlserver") return "vhdx";
  return record.attachment?.driver === "reflink" ? "reflink" : "qcow2";
}

/** The platform of an existing clone: the engine of its image and the driver that made it. */
export function platformForRecord(
  record: { engine: EngineKind; disk?: CloneDiskName; attachment?: { driver: string } },
  home: string,
  reporter?: Reporter,
): Platform {
  return platformWith(record.engine, home, diskOf(record), reporter);
}
