// Copies a data directory onto a fresh disk, leaving behind everything that could hold old bytes
// (WAL, statistics temp files, logs, replication slots), then gives it a new, empty WAL.
import { existsSync, type Stats } from "node:fs";
import { chmod, copyFile, lchown, lstat, mkdir, readdir, readlink, symlink, utimes } from "node:fs/promises";
import path from "node:path";
import { BuildError, CommandError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { isRoot, run } from "../../runtime/exec.js";
import { findBinaries, majorOf } from "./binaries.js";
import { DATA_DIR, ENGINE_FILE, dataDirOf, readEngineFile } from "./engineFile.js";
import { serverUser } from "./osUser.js";

/** Top-level files a running or past server leaves that a fresh copy must not carry. */
const SKIPPED_FILES = new Set(["postmaster.pid", "postmaster.opts", "postgresql.auto.conf.tmp", "current_logfiles", "backup_label.old"]);
/**
 * Top-level directories copied empty: the same list pg_basebackup leaves out, plus the WAL
 * (rebuilt by pg_resetwal), saved statistics and server logs.
 */
const EMPTIED_DIRS = new Set([
  "pg_wal", "pg_stat_tmp", "pg_stat", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans", "log", "pg_log",
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
  if (!s.isSymbolicLink()) {
    await chmod(target, s.mode & 0o7777);
    await utimes(target, s.atime, s.mtime);
  }
}

async function copyTree(src: string, dst: string, relative: string, stats: { bytes: number }, onFile: () => void): Promise<void> {
  const s = await lstat(src);
  if (s.isDirectory()) {
    await mkdir(dst, { recursive: true });
    const entries = await readdir(src);
    const todo = entries.filter((e) => !isLeftBehind(path.join(relative, e)));
    for (let i = 0; i < todo.length; i += 4) {
      await Promise.all(todo.slice(i, i + 4).map((e) => copyTree(path.join(src, e), path.join(dst, e), path.join(relative, e), stats, onFile)));
    }
  } else if (s.isSymbolicLink()) {
    await symlink(await readlink(src), dst);
  } else if (s.isFile()) {
    await copyFile(src, dst);
    stats.bytes += s.size;
    onFile();
  } else {
    return; // sockets, fifos: nothing PostgreSQL needs from a stopped data directory
  }
  await keepMetadata(dst, s);
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
  await copyTree(from, to, "", stats, () => progress.update(++files));
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
