// A "production" PostgreSQL that archives its WAL into a directory (as archive_command = 'cp %p
// /archive/%f' does), small 1 MiB segments to keep tests lean, and helpers to take base backups.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { findBinaries } from "../../../packages/core/src/engine/postgres/binaries.js";
import { commonSettings, writeServerFile } from "../../../packages/core/src/engine/postgres/config.js";
import { makeEmptyDataDir } from "../../../packages/core/src/engine/postgres/dataDir.js";
import { launchPostgres } from "../../../packages/core/src/engine/postgres/launch.js";
import { giveToServerUser, serverUser } from "../../../packages/core/src/engine/postgres/osUser.js";
import { archiveCommand } from "../../../packages/core/src/engine/postgres/walArchive.js";
import { run } from "../../../packages/core/src/runtime/exec.js";
import { freePort, type Tracker } from "../engine/fixtures.js";

export interface ArchivingServer {
  pid: number;
  port: number;
  dataDir: string;
  /** A name with a space, quotes and a percent sign: restore_command quoting must cope. */
  archiveDir: string;
  replUrl: string;
  psql(db: string, sql: string): Promise<string>;
  /** pg_basebackup (-X none: the WAL comes from the archive) into `dir`, plain or tar format. */
  baseBackup(dir: string, format: "plain" | "tar"): Promise<void>;
  /** Close the current segment and wait until the archiver has copied it. */
  switchAndWaitArchived(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startArchivingServer(t: Tracker): Promise<ArchivingServer> {
  const bins = await findBinaries(15);
  const root = t.mount("dbclone-pitr-src-");
  const dataDir = path.join(root, "pgdata");
  const socketDir = path.join(root, "run");
  const archiveDir = path.join(root, "wal archive 'prod' 100%");
  await makeEmptyDataDir(dataDir);
  await run(
    bins.bin("initdb"),
    ["-D", dataDir, "-U", "srcadmin", "--auth=trust", "-E", "UTF8", "--locale=C", "--wal-segsize=1", "--no-sync", "--no-instructions"],
    {
      asUser: serverUser().asUser,
      cwd: "/",
    },
  );
  for (const d of [socketDir, archiveDir]) {
    mkdirSync(d, { mode: 0o700 });
    await giveToServerUser(d);
  }
  const hbaFile = path.join(socketDir, "pg_hba.conf");
  await writeServerFile(hbaFile, "local all all trust\nlocal replication all trust\nhost replication all 127.0.0.1/32 scram-sha-256\n");
  const port = await freePort();
  const { pid } = await launchPostgres({
    bins,
    dataDir,
    socketDir,
    port,
    settings: {
      ...commonSettings(dataDir, socketDir, hbaFile),
      listen_addresses: "127.0.0.1",
      fsync: "off",
      autovacuum: "off",
      wal_level: "replica",
      archive_mode: "on",
      archive_command: archiveCommand(archiveDir),
      log_timezone: "UTC",
    },
    logFile: path.join(socketDir, "postgres.log"),
    connectUser: "srcadmin",
    timeoutMs: 60_000,
  });
  t.pids.add(pid);
  const psql = async (db: string, sql: string): Promise<string> =>
    (
      await run(bins.bin("psql"), ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", socketDir, "-p", String(port), "-U", "srcadmin", "-d", db, "-c", sql])
    ).stdout.trim();
  await psql("postgres", "CREATE ROLE repl LOGIN REPLICATION PASSWORD 'r3pl'");
  await psql("postgres", "CREATE DATABASE shop");
  await psql("shop", "CREATE TABLE orders (id int PRIMARY KEY, note text, at timestamptz DEFAULT clock_timestamp())");

  return {
    pid,
    port,
    dataDir,
    archiveDir,
    replUrl: `postgresql://repl:r3pl@127.0.0.1:${port}/postgres`,
    psql,
    async baseBackup(dir, format) {
      await run(bins.bin("pg_basebackup"), [
        "-h",
        socketDir,
        "-p",
        String(port),
        "-U",
        "srcadmin",
        "-D",
        dir,
        "-F",
        format === "tar" ? "t" : "p",
        "-X",
        "none",
        "-c",
        "fast",
        "--no-sync",
      ]);
    },
    async switchAndWaitArchived() {
      const segment = await psql("postgres", "SELECT pg_walfile_name(pg_switch_wal())");
      for (let i = 0; i < 300; i++) {
        const last = await psql("postgres", "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
        if (last >= segment) return;
        await sleep(100);
      }
      throw new Error(`WAL segment ${segment} was not archived within 30 s`);
    },
  };
}
