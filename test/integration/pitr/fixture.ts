// A "production" PostgreSQL that archives its WAL into a directory (as archive_command = 'cp %p
// /archive/%f' does), small 1 MiB segments to keep tests lean, and helpers to take base backups.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { makeEmptyDataDir } from "../../../packages/core/src/engine/postgres/dataDir.js";
import { giveToServerUser, serverUser } from "../../../packages/core/src/engine/postgres/osUser.js";
import { archiveCommand } from "../../../packages/core/src/engine/postgres/walArchive.js";
import { run } from "../../../packages/core/src/runtime/exec.js";
import { launchTestServer, type Tracker } from "../engine/fixtures.js";

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
  const archiveDirOf = (root: string) => path.join(root, "wal archive 'prod' 100%");
  const { bins, root, dataDir, socketDir, port, pid, psql } = await launchTestServer(t, {
    prefix: "dbclone-pitr-src-",
    hba: "local all all trust\nlocal replication all trust\nhost replication all 127.0.0.1/32 scram-sha-256\n",
    // Small 1 MiB WAL segments keep the archive tests lean.
    init: async (b, dir) => {
      await makeEmptyDataDir(dir);
      await run(
        b.bin("initdb"),
        ["-D", dir, "-U", "srcadmin", "--auth=trust", "-E", "UTF8", "--locale=C", "--wal-segsize=1", "--no-sync", "--no-instructions"],
        { asUser: serverUser().asUser, cwd: "/" },
      );
    },
    prepare: async (r) => {
      mkdirSync(archiveDirOf(r), { mode: 0o700 });
      await giveToServerUser(archiveDirOf(r));
    },
    settings: ({ root: r }) => ({
      listen_addresses: "127.0.0.1",
      fsync: "off",
      autovacuum: "off",
      wal_level: "replica",
      archive_mode: "on",
      archive_command: archiveCommand(archiveDirOf(r)),
      log_timezone: "UTC",
    }),
  });
  const archiveDir = archiveDirOf(root);
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
