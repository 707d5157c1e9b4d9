// Where dbclone keeps its local state and, by default, its repository.
import { chmod, mkdir } from "node:fs/promises";
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

/** Directories the database server's OS user must pass through (home, clones/<id>, work/build-*). */
export const TRAVERSABLE_DIR = 0o711;
/** Everything else dbclone keeps under its home (state/, the cache, work it alone reads). */
export const PRIVATE_DIR = 0o700;

/**
 * Make `dir` with `mode` (0711 or 0700), whatever the umask. Every missing directory on the way
 * (DBCLONE_HOME itself, clones/, work/) is made 0711: traversable by the server's OS user, listable
 * by nobody else. One rule, so whichever command first creates the home gets the same modes.
 * An existing directory keeps its mode (the operator may have chosen it).
 */
export async function makeDir(dir: string, mode: typeof TRAVERSABLE_DIR | typeof PRIVATE_DIR): Promise<void> {
  dir = path.resolve(dir);
  const parent = path.dirname(dir);
  const first = await mkdir(parent, { recursive: true, mode: TRAVERSABLE_DIR });
  if (first) {
    for (let p = parent; p.length >= first.length; p = path.dirname(p)) await chmod(p, TRAVERSABLE_DIR);
  }
  try {
    await mkdir(dir, { mode });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return;
    throw e;
  }
  await chmod(dir, mode);
}
