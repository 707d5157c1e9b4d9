// Where the reflink pool keeps things. One pool per DBCLONE_HOME:
//   <home>/pool/                 the pool: a host directory with reflinks, or the pool file's mount
//   <home>/pool.xfs              the sparse XFS pool file (only on hosts without reflinks)
//   <pool>/images/<key>.raw      expanded image versions (read-only), index.json beside them
//   <pool>/clones/<name>.raw     one reflink copy per clone, <name>.json says whose it is
//   <pool>/check/                where an expansion's check mounts its image (reachable by the
//                                database's OS user, which walks it; the images stay root's)
import { lstat } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../../errors.js";

export interface PoolLayout {
  home: string;
  dir: string;
  poolFile: string;
  imagesDir: string;
  clonesDir: string;
  checkDir: string;
}

export function poolLayout(home: string): PoolLayout {
  const dir = path.join(path.resolve(home), "pool");
  return {
    home: path.resolve(home),
    dir,
    poolFile: `${dir}.xfs`,
    imagesDir: path.join(dir, "images"),
    clonesDir: path.join(dir, "clones"),
    checkDir: path.join(dir, "check"),
  };
}

/** An expanded image's key: the digest of a single-layer version, else a digest of its ordered layer digests. */
export const imageFile = (layout: PoolLayout, key: string): string => path.join(layout.imagesDir, `${key}.raw`);

/** In-progress expansions carry their writer's pid: `<key>.raw.tmp-<pid>-<rand>`. */
export const EXPAND_TEMP = /^[0-9a-f]{64}\.raw\.tmp-(\d+)-[0-9a-f]+$/;

/** The pool copy of a clone's disk, named after the clone's directory (`c-<id>` for clones). */
export function cloneFileFor(layout: PoolLayout, childFile: string): string {
  const resolved = path.resolve(childFile);
  if (path.dirname(resolved) === layout.clonesDir && resolved.endsWith(".raw")) return resolved;
  const owner = path.basename(path.dirname(resolved));
  if (!/^[\w.-]+$/.test(owner)) throw new Error(`reflink: cannot name a pool clone after the directory '${owner}'`);
  return path.join(layout.clonesDir, `${owner}.raw`);
}

export const ownerFileOf = (cloneFile: string): string => cloneFile.replace(/\.raw$/, ".json");

/**
 * The first of the pool's own directories that is a symbolic link (or not a directory): through
 * it, gc's sweeps and a teardown's delete would act on whatever it points to, outside the pool.
 */
export async function linkedPoolDir(layout: PoolLayout): Promise<string | undefined> {
  for (const dir of [layout.dir, layout.imagesDir, layout.clonesDir, layout.checkDir]) {
    const s = await lstat(dir).catch(() => undefined);
    if (s && !s.isDirectory()) return dir;
  }
  return undefined;
}

export async function refuseLinkedPoolDirs(layout: PoolLayout): Promise<void> {
  const dir = await linkedPoolDir(layout);
  if (dir)
    throw new UsageError(
      `${dir} is a symbolic link or not a directory; the reflink pool's directories must be dbclone's own, so nothing is done through it. ` +
        `Remove it (rm ${dir}) and run the command again.`,
    );
}
