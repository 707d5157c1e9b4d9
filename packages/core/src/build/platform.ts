// Which disk driver and engine serve an image: from the sources at build time, from the
// manifest at clone time. Linux + PostgreSQL + qcow2 today; Windows + SQL Server + VHDX next.
import path from "node:path";
import { Qcow2Driver } from "../disk/index.js";
import type { DiskDriver } from "../disk/types.js";
import { PostgresEngine } from "../engine/index.js";
import type { Engine } from "../engine/types.js";
import { NotSupportedError } from "../errors.js";
import type { ImageManifest } from "../image/manifest.js";

export interface Platform {
  os: "linux" | "windows";
  driver: DiskDriver;
  engine: Engine;
}

export function platformFor(engineKind: ImageManifest["engine"]["kind"], home: string): Platform {
  if (process.platform !== "linux") {
    throw new NotSupportedError(`dbclone on ${process.platform} is not supported yet: Linux runners with PostgreSQL work today.`);
  }
  if (engineKind !== "postgres") {
    throw new NotSupportedError(`${engineKind} images need a Windows runner (VHDX + SQL Server), which is not supported yet.`);
  }
  return { os: "linux", driver: new Qcow2Driver({ stateDir: path.join(home, "state") }), engine: new PostgresEngine() };
}
