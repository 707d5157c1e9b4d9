// Which disk driver and engine serve an image: from the sources at build time, from the
// manifest at clone time. Linux + PostgreSQL + qcow2 today; Windows + SQL Server + VHDX next.
import path from "node:path";
import { Qcow2Driver } from "../disk/index.js";
import type { DiskDriver } from "../disk/types.js";
import { PostgresEngine } from "../engine/index.js";
import type { Engine } from "../engine/types.js";
import { NotSupportedError, UsageError } from "../errors.js";
import type { SourceSpec } from "../engine/types.js";
import type { ImageManifest } from "../image/manifest.js";

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

export function platformFor(engineKind: ImageManifest["engine"]["kind"], home: string): Platform {
  if (engineKind === "sqlserver") assertSqlServerHost(process.platform);
  if (process.platform !== "linux") {
    throw new NotSupportedError(`dbclone on ${process.platform} is not supported yet: Linux runners with PostgreSQL work today.`);
  }
  if (engineKind !== "postgres") {
    throw new NotSupportedError(`${engineKind} images are built and cloned by their own path (build/build-sqlserver.ts, clones/sqlserver-clone.ts), not by platformFor.`);
  }
  return { os: "linux", driver: new Qcow2Driver({ stateDir: path.join(home, "state") }), engine: new PostgresEngine() };
}
