// A pg_basebackup output directory (plain or tar format): what it is, and putting it in place.
import { existsSync } from "node:fs";
import { chmod, readFile, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { SourceError } from "../../errors.js";
import { run } from "../../runtime/exec.js";
import { replaceSourceConfig } from "./config.js";
import { copyDataDir, makeEmptyDataDir } from "./dataDir.js";
import { serverUser } from "./osUser.js";
import { parseLabelLines } from "./walArchive.js";

export interface BaseBackupInfo {
  format: "plain" | "tar";
  /** The tar holding the data directory (tar format). */
  baseTar?: string;
  /** pg_wal.tar(.gz) next to it when the backup streamed its WAL. */
  walTar?: string;
  major: number;
  startLsn: string;
  checkpointLsn?: string;
  startTimeline: number;
  startTime?: string;
  label?: string;
  /** End of the backup (consistency point), from backup_manifest's WAL-Ranges. */
  manifestEndLsn?: string;
  manifestTimeline?: number;
}

const TAR_NAMES = ["base.tar", "base.tar.gz", "base.tgz", "base.tar.lz4", "base.tar.zst"];

async function backupLabelText(dir: string, baseTar?: string): Promise<string> {
  if (!baseTar) return readFile(path.join(dir, "backup_label"), "utf8");
  const { stdout } = await run("tar", ["-xOf", baseTar, "backup_label"], { packageHint: "tar" }).catch((e: Error) => {
    throw new SourceError(`${baseTar} holds no backup_label (${e.message}); is it pg_basebackup's tar output?`);
  });
  return stdout;
}

async function pgVersionText(dir: string, baseTar?: string): Promise<string> {
  if (!baseTar) return readFile(path.join(dir, "PG_VERSION"), "utf8");
  return (await run("tar", ["-xOf", baseTar, "PG_VERSION"])).stdout;
}

/** Read what a base backup says about itself; a clear SourceError when it is not one. */
export async function readBaseBackup(dir: string): Promise<BaseBackupInfo> {
  if (!existsSync(dir)) throw new SourceError(`The base backup ${dir} does not exist.`);
  const names = await readdir(dir).catch(() => {
    throw new SourceError(`The base backup ${dir} is not a directory; pass pg_basebackup's -D directory.`);
  });
  const tarName = TAR_NAMES.find((n) => names.includes(n));
  const plain = names.includes("backup_label");
  if (!plain && !tarName) {
    throw new SourceError(
      `${dir} is not a pg_basebackup output: it has neither backup_label (plain format) nor base.tar (tar format). ` +
        `A stopped data directory is --from-datadir; a backup taken by other tools must keep its backup_label.`,
    );
  }
  const baseTar = plain ? undefined : path.join(dir, tarName!);
  const walTar = plain ? undefined : names.filter((n) => /^pg_wal\.tar(\.gz|\.lz4|\.zst)?$/.test(n)).map((n) => path.join(dir, n))[0];
  if (!plain && names.some((n) => /^\d+\.tar/.test(n))) {
    throw new SourceError(`${dir} holds tablespace tars next to base.tar; dbclone images hold a single data directory. Use a dump instead.`);
  }
  const label = parseLabelLines(await backupLabelText(dir, baseTar));
  const startLsn = /^([0-9A-F]+\/[0-9A-F]+)/i.exec(label.get("START WAL LOCATION") ?? "")?.[1];
  if (!startLsn) throw new SourceError(`The backup_label of ${dir} has no START WAL LOCATION; the backup is damaged.`);
  const major = Number.parseInt((await pgVersionText(dir, baseTar)).trim(), 10);

  let manifestEndLsn: string | undefined;
  let manifestTimeline: number | undefined;
  if (names.includes("backup_manifest")) {
    const m = JSON.parse(await readFile(path.join(dir, "backup_manifest"), "utf8")) as { "WAL-Ranges"?: { Timeline: number; "End-LSN": string }[] };
    const last = m["WAL-Ranges"]?.at(-1);
    manifestEndLsn = last?.["End-LSN"];
    manifestTimeline = last?.Timeline;
  }
  return {
    format: plain ? "plain" : "tar",
    baseTar,
    walTar,
    major,
    startLsn,
    checkpointLsn: label.get("CHECKPOINT LOCATION"),
    startTimeline: Number(label.get("START TIMELINE") ?? "1"),
    startTime: label.get("START TIME"),
    label: label.get("LABEL"),
    manifestEndLsn,
    manifestTimeline,
  };
}

/** Put the backup's files into an empty `dataDir`, owned by the server user; backup_label stays. */
export async function placeBaseBackup(backupDir: string, info: BaseBackupInfo, dataDir: string): Promise<void> {
  if (info.format === "plain") {
    await copyDataDir(backupDir, dataDir); // drops signal files and a stale postmaster.pid
  } else {
    await makeEmptyDataDir(dataDir);
    await run("tar", ["-xf", info.baseTar!, "-C", dataDir], { timeoutMs: 6 * 3600_000 });
    if (info.walTar) await run("tar", ["-xf", info.walTar, "-C", path.join(dataDir, "pg_wal")], { timeoutMs: 3600_000 });
    for (const f of ["postmaster.pid", "postmaster.opts", "standby.signal", "recovery.signal"]) await rm(path.join(dataDir, f), { force: true });
    await run("chown", ["-R", `${serverUser().uid}:${serverUser().gid}`, dataDir]);
    await chmod(dataDir, 0o700);
    await replaceSourceConfig(dataDir);
  }
  // The backup's own manifest is not part of a data directory.
  await rm(path.join(dataDir, "backup_manifest"), { force: true });
}
