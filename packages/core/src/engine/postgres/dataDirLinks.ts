// What a data directory from an image may hold before a server starts on it: no link except
// pg_wal (PostgreSQL expects one there) pointing inside the disk, no recovery/standby signal,
// no backup_label or tablespace_map, nothing to replay (clean-shutdown.ts),
// no setting in postgresql.auto.conf. Checked at every clone start, cheaply (top level only):
// the deep walk happens at build, in copyFresh, which refuses every other link in the tree.
import { constants } from "node:fs";
import { lstat, open, readdir, realpath } from "node:fs/promises";
import path from "node:path";
import { SourceError } from "../../errors.js";
import { isWithin } from "../../util/within.js";
import { uncleanShutdown } from "./clean-shutdown.js";
import { dataDirOf } from "./engineFile.js";

/** Links PostgreSQL itself expects; only inside the disk. */
const LINK_ALLOWED = new Set(["pg_wal"]);
const SIGNALS = ["standby.signal", "recovery.signal"];
/**
 * A backup_label makes PostgreSQL start from a backup, and with it a tablespace_map is turned into
 * pg_tblspc links at start (any path), after this check looked at pg_tblspc. A build's fresh copy
 * has neither: the build server consumed any backup_label before the copy.
 */
const BACKUP_FILES = ["backup_label", "tablespace_map"];
/** postgresql.auto.conf is read whole; dbclone's own is a one-line comment. */
const AUTO_CONF_MAX_BYTES = 1 << 20;

function refuse(mountPath: string, what: string): never {
  throw new SourceError(
    `The data directory in ${mountPath} ${what}. dbclone builds images without it, so this image was altered or not made by dbclone; nothing was started. Rebuild or re-pull the image.`,
  );
}

/**
 * Refuse an image's data directory that could make a server (or us) read or write elsewhere.
 * `clone`: also that it has nothing to replay. Every image's data directory went through
 * pg_resetwal after a clean shutdown (copyFresh, promote); a build's staging start follows the
 * build's own recovery of its source, which may leave an older timeline's copy of a segment.
 */
export async function assertImageDataDir(mountPath: string, opts: { clone?: boolean } = {}): Promise<void> {
  const root = await realpath(mountPath);
  const dataDir = dataDirOf(mountPath);
  const top = await lstat(dataDir).catch(() => undefined);
  if (!top?.isDirectory()) refuse(mountPath, `(${dataDir}) is ${top?.isSymbolicLink() ? "a symbolic link" : "missing or not a directory"}`);
  for (const name of await readdir(dataDir)) {
    const s = await lstat(path.join(dataDir, name));
    if (s.isSymbolicLink()) {
      if (!LINK_ALLOWED.has(name)) refuse(mountPath, `has a symbolic link ${name}`);
      const target = await realpath(path.join(dataDir, name)).catch(() => undefined);
      if (!target || !isWithin(target, root)) refuse(mountPath, `has ${name} linking outside its disk`);
    }
    if (SIGNALS.includes(name)) refuse(mountPath, `has ${name}, which would start recovery from elsewhere`);
    if (BACKUP_FILES.includes(name)) refuse(mountPath, `has ${name}, which would start it as a backup (and make tablespace links)`);
  }
  for (const entry of await readdir(path.join(dataDir, "pg_tblspc")).catch(() => [] as string[])) {
    refuse(mountPath, `has a tablespace link pg_tblspc/${entry}`);
  }
  await assertAutoConfEmpty(mountPath, path.join(dataDir, "postgresql.auto.conf"));
  // After the links are checked: pg_wal is read through its (inside-the-disk) link.
  const unclean = opts.clone ? await uncleanShutdown(dataDir) : undefined;
  if (unclean) refuse(mountPath, unclean);
}

/** PostgreSQL reads postgresql.auto.conf whatever config_file says: it must hold no setting. */
async function assertAutoConfEmpty(mountPath: string, file: string): Promise<void> {
  const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    if (e.code === "ELOOP") refuse(mountPath, "has postgresql.auto.conf as a symbolic link");
    throw e;
  });
  if (!fh) return;
  try {
    const st = await fh.stat();
    if (!st.isFile()) refuse(mountPath, "has a postgresql.auto.conf that is not a file");
    // Read whole or not at all: a setting past a read cap would reach the server unseen.
    if (st.size > AUTO_CONF_MAX_BYTES) refuse(mountPath, `has a postgresql.auto.conf of ${st.size} bytes (dbclone writes it empty)`);
    const text = (await fh.readFile()).toString("utf8");
    const line = text.split("\n").findIndex((l) => l.trim() !== "" && !l.trim().startsWith("#"));
    if (line >= 0) refuse(mountPath, `has a setting in postgresql.auto.conf (line ${line + 1})`);
  } finally {
    await fh.close();
  }
}
