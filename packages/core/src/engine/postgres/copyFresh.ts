// Copies a data directory onto a fresh disk, leaving behind everything that could hold old bytes
// (WAL, statistics temp files, logs, replication slots), then gives it a new, empty WAL.
import { constants, existsSync, type Stats } from "node:fs";
import { chmod, copyFile, lchown, lstat, mkdir, open, readdir, readlink, utimes, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { BuildError, CommandError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { isRoot, run } from "../../runtime/exec.js";
import { findBinaries, majorOf } from "./binaries.js";
import { replaceSourceConfig } from "./config.js";
import { DATA_DIR, ENGINE_FILE, dataDirOf, readEngineFile } from "./engineFile.js";
import { serverUser } from "./osUser.js";

/** Top-level files a running or past server leaves that a fresh copy must not carry. */
const SKIPPED_FILES = new Set(["postmaster.pid", "postmaster.opts", "postgresql.auto.conf.tmp", "current_logfiles", "backup_label.old"]);
/**
 * Top-level directories copied empty: the same list pg_basebackup leaves out, plus the WAL
 * (rebuilt by pg_resetwal), saved statistics and server logs.
 */
const EMPTIED_DIRS = new Set([
  "pg_wal",
  "pg_stat_tmp",
  "pg_stat",
  "pg_replslot",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
  "pg_subtrans",
  "log",
  "pg_log",
]);

/** Should this path (relative to the data directory) be left behind? */
export function isLeftBehind(relative: string): boolean {
  const parts = relative.split(path.sep);
  if (parts.length === 1 && SKIPPED_FILES.has(parts[0]!)) return true;
  if (parts.length >= 2 && EMPTIED_DIRS.has(parts[0]!)) return true;
  return parts[parts.length - 1] === "pg_internal.init"; // relation cache, rebuilt at start
}

async function keepMetadata(target: string, s: Stats): Promise<void> {
  if (isRoot()) await lchown(target, s.uid, s.gid);
  await chmod(target, s.mode & 0o7777);
  await utimes(target, s.atime, s.mtime);
}

/** A path that names exactly the object behind `fh`: no link in the source tree is walked again. */
const byDescriptor = (fh: FileHandle): string => `/proc/self/fd/${fh.fd}`;

/**
 * Copy the tree as root without ever following a link in it: each entry is opened with
 * O_NOFOLLOW relative to its parent's descriptor, so a link planted (or swapped in while we copy)
 * by something running as the server user cannot make root read a file outside the data directory.
 */
async function copyTree(src: FileHandle, dst: string, relative: string, stats: { bytes: number }, onFile: () => void): Promise<void> {
  const s = await src.stat();
  await mkdir(dst, { recursive: true });
  const entries = (await readdir(byDescriptor(src))).filter((e) => !isLeftBehind(path.join(relative, e)));
  for (let i = 0; i < entries.length; i += 4) {
    await Promise.all(entries.slice(i, i + 4).map((e) => copyEntry(src, e, path.join(dst, e), path.join(relative, e), stats, onFile)));
  }
  await keepMetadata(dst, s);
}

async function copyEntry(parent: FileHandle, name: string, dst: string, relative: string, stats: { bytes: number }, onFile: () => void): Promise<void> {
  const where = `${byDescriptor(parent)}/${name}`;
  const fh = await open(where, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code === "ELOOP") return linkEntry(where, dst, relative);
    if (e.code === "ENXIO") return undefined; // a socket: nothing a stopped data directory needs
    throw e;
  });
  if (!fh) return;
  try {
    const s = await fh.stat();
    if (s.isDirectory()) return await copyTree(fh, dst, relative, stats, onFile);
    if (!s.isFile()) return; // fifos, devices: nothing PostgreSQL needs
    await copyFile(byDescriptor(fh), dst, constants.COPYFILE_EXCL);
    stats.bytes += s.size;
    onFile();
    await keepMetadata(dst, s);
  } finally {
    await fh.close();
  }
}

/**
 * pg_wal may be a link (initdb -X); its contents stay behind anyway, so the copy gets a real,
 * empty pg_wal. Any other link — a tablespace, or one a restore planted — refuses the copy.
 */
async function linkEntry(where: string, dst: string, relative: string): Promise<undefined> {
  if (relative !== "pg_wal") {
    throw new BuildError(
      `The data directory holds a symbolic link at ${relative} (to ${await readlink(where).catch(() => "?")}); dbclone images hold no links. It was planted by the source or a restore: nothing was copied through it.`,
    );
  }
  await mkdir(dst, { mode: 0o700 });
  const owner = serverUser();
  if (isRoot()) await lchown(dst, owner.uid, owner.gid);
  return undefined;
}

export async function copyFresh(fromMount: string, toMount: string, reporter: Reporter): Promise<void> {
  const from = dataDirOf(fromMount);
  const to = dataDirOf(toMount);
  const info = await readEngineFile(fromMount);
  const bins = await findBinaries(majorOf(info.version));
  if (existsSync(path.join(from, "postmaster.pid"))) {
    throw new BuildError(`${from} still has postmaster.pid: stop its server (scrub does) before copying it.`);
  }
  if (existsSync(to)) throw new BuildError(`${to} already exists; copyFresh needs a fresh disk.`);

  const progress = reporter.progress("Copying data to the fresh disk");
  const stats = { bytes: 0 };
  let files = 0;
  const root = await open(from, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch((e: NodeJS.ErrnoException) => {
    throw new BuildError(`${from} cannot be opened as a directory (${e.code}); a data directory is never a link.`);
  });
  try {
    await copyTree(root, to, "", stats, () => progress.update(++files));
  } finally {
    await root.close();
  }
  await replaceSourceConfig(to); // postgresql.auto.conf emptied: nothing ALTER SYSTEM wrote travels
  await mkdir(path.join(to, "pg_wal", "archive_status"), { recursive: true, mode: 0o700 });
  const walStat = await lstat(path.join(to, "pg_wal"));
  await keepMetadata(path.join(to, "pg_wal", "archive_status"), walStat);
  progress.finish(`Copied ${files} files, ${Math.round(stats.bytes / 1048576)} MiB`);

  // A new, empty WAL: the old segments (which may hold pre-masking row images) stay behind.
  try {
    await run(bins.bin("pg_resetwal"), ["-D", to], { asUser: serverUser().asUser, cwd: "/" });
  } catch (e) {
    if (e instanceof CommandError && /not shut down cleanly/i.test(e.stderr)) {
      throw new BuildError(`${from} was not shut down cleanly, so its WAL is still needed; start and stop it (scrub does) before copying. ${e.stderr.trim()}`);
    }
    throw e;
  }
  await copyFile(path.join(fromMount, ENGINE_FILE), path.join(toMount, ENGINE_FILE));
  reporter.debug(`copyFresh ${fromMount}/${DATA_DIR} → ${toMount}/${DATA_DIR}: ${stats.bytes} bytes`);
}
