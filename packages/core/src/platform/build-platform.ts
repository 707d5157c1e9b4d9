// The engines' build half, by engine kind: the engine that builds (and promotes to) images. Kept
// apart from registry.ts, like masking.ts, so that what clones and tears down (clone-db, teardown
// bundles) never loads an engine's build code; builds, scans and promote import this file.
import { PostgresEngine } from "../engine/index.js";
import { SqlServerBuildEngine } from "../engine/sqlserver/build-engine.js";
import { sqlServerHost } from "../engine/sqlserver/host.js";
import type { Engine } from "../engine/types.js";
import type { Reporter } from "../reporter.js";
import { diskOf, platformWith, type Platform } from "./choose.js";
import type { CloneDiskName } from "./disk-names.js";
import { platformEntry, type EngineKind } from "./registry.js";

/** A new engine per build: an engine may keep what one build learns (SQL Server: its restore plan). */
const BUILD_ENGINES: Record<EngineKind, (home: string) => Engine> = {
  postgres: () => new PostgresEngine(),
  sqlserver: () => new SqlServerBuildEngine(sqlServerHost()),
};

/** A platform that builds images (and promotes clones to images): its engine does it all. */
export interface BuildPlatform extends Platform {
  engine: Engine;
}

function buildPlatformWith(kind: EngineKind, home: string, disk: CloneDiskName, reporter?: Reporter): BuildPlatform {
  return { ...platformWith(kind, home, disk, reporter), engine: BUILD_ENGINES[kind](home) };
}

/** Builds, scans and sweeps: the engine with the driver that makes and seals its images. */
export function platformForBuild(kind: EngineKind, home: string, reporter?: Reporter): BuildPlatform {
  return buildPlatformWith(kind, home, platformEntry(kind).buildDriver, reporter);
}

/** Promote: a clone's platform with the engine that makes images of it. */
export function buildPlatformForRecord(
  record: { engine: EngineKind; disk?: CloneDiskName; attachment?: { driver: string } },
  home: string,
  reporter?: Reporter,
): BuildPlatform {
  return buildPlatformWith(record.engine, home, diskOf(record), reporter);
}
