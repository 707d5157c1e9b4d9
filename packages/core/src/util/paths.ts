// Where dbclone keeps its local state and, by default, its repository.
import os from "node:os";
import path from "node:path";

/** DBCLONE_HOME, else ~/.dbclone. Holds the clone registry, clones' disks and mounts, work dirs. */
export function dbcloneHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.DBCLONE_HOME || path.join(os.homedir(), ".dbclone"));
}

/** DBCLONE_REPO, else <home>/repository (a directory repository). */
export function defaultRepository(env: NodeJS.ProcessEnv = process.env): string {
  return env.DBCLONE_REPO || path.join(dbcloneHome(env), "repository");
}
