// Where dbclone keeps its local state and, by default, its repository.
import os from "node:os";
import path from "node:path";

/**
 * DBCLONE_HOME, else /var/lib/dbclone for root, else ~/.dbclone. Holds the clone registry,
 * clones' disks and mounts, work dirs. Root gets a system path because the database server runs
 * as another user (postgres), which cannot traverse root's 0700 home to reach a clone's mount.
 */
export function dbcloneHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DBCLONE_HOME) return path.resolve(env.DBCLONE_HOME);
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return root ? "/var/lib/dbclone" : path.join(os.homedir(), ".dbclone");
}

/** DBCLONE_REPO, else <home>/repository (a directory repository). */
export function defaultRepository(env: NodeJS.ProcessEnv = process.env): string {
  return env.DBCLONE_REPO || path.join(dbcloneHome(env), "repository");
}
