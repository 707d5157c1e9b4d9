// The record a build keeps in its work dir (<home>/work/build-<hex>/build.json): which process owns
// it and what it started, so gc can sweep a killed build completely — unmasked staging first.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "./durable-write.js";
import { currentProcess, type ProcessIdentity } from "./process-identity.js";

/** Work dirs of builds, of a multi-variant build's shared (unmasked) staging, and of promotions (which seal and publish a clone the same way). */
export const BUILD_DIR_PATTERN = /^(build|variants|promote)-[0-9a-f]{10}$/;
export const BUILD_RECORD = "build.json";

export interface BuildRecord {
  owner: ProcessIdentity;
  startedAt: string;
  image: string;
  /** Mount paths, staging (unmasked) first: gc releases them in this order. */
  mounts: string[];
  /** The build's database server, once started. */
  serverPid?: number;
}

export async function writeBuildRecord(workDir: string, record: BuildRecord): Promise<void> {
  const file = path.join(workDir, BUILD_RECORD);
  await writeFileAtomic(file, `${JSON.stringify(record)}\n`, 0o600);
}

export function newBuildRecord(workDir: string, image: string): BuildRecord {
  return { owner: currentProcess(), startedAt: new Date().toISOString(), image, mounts: [path.join(workDir, "staging"), path.join(workDir, "fresh")] };
}

/** The record, or undefined when it is missing or unreadable (a build killed before writing it). */
export async function readBuildRecord(workDir: string): Promise<BuildRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path.join(workDir, BUILD_RECORD), "utf8")) as Partial<BuildRecord>;
    if (!parsed.owner || typeof parsed.owner.pid !== "number" || !Array.isArray(parsed.mounts)) return undefined;
    return parsed as BuildRecord;
  } catch {
    return undefined;
  }
}
