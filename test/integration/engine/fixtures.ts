// Test fixtures for the PostgreSQL engine: temp "mounts", free ports, a source server, cleanup.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { findBinaries, type PgBinaries } from "../../../packages/core/src/engine/postgres/binaries.js";
import { BUILD_SETTINGS, commonSettings, writeServerFile } from "../../../packages/core/src/engine/postgres/config.js";
import { initDataDir } from "../../../packages/core/src/engine/postgres/dataDir.js";
import { launchPostgres, stopPostgres } from "../../../packages/core/src/engine/postgres/launch.js";
import { giveToServerUser } from "../../../packages/core/src/engine/postgres/osUser.js";
import { run } from "../../../packages/core/src/runtime/exec.js";
import { freePort } from "../../../packages/core/src/util/net.js";

/** Everything a test file created; `cleanup()` stops every pid and removes every dir. */
export class Tracker {
  readonly pids = new Set<number>();
  readonly dirs: string[] = [];

  /** A directory standing in for a mounted disk (0755 like a fresh filesystem root). */
  mount(prefix = "dbclone-eng-"): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    chmodSync(dir, 0o755);
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    for (const pid of this.pids) await stopPostgres(pid, { graceMs: 10_000 }).catch(() => {});
    this.pids.clear();
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

export { freePort };

export interface SourceServer {
  pid: number;
  port: number;
  socketDir: string;
  dataDir: string;
  superuser: string;
  /** postgres URL over TCP as a REPLICATION role with a password. */
  replUrl: string;
  psql(db: string, sql: string): Promise<string>;
  dump(args: string[]): Promise<void>;
}

/** A throwaway server the tracker owns: superuser srcadmin, its own socket dir and pg_hba.conf. */
export interface TestServer {
  bins: PgBinaries;
  root: string;
  dataDir: string;
  socketDir: string;
  port: number;
  pid: number;
  /** psql -At as srcadmin over the socket; the trimmed output. */
  psql(db: string, sql: string): Promise<string>;
}

export interface TestServerOptions {
  prefix: string;
  /** pg_hba.conf's lines. */
  hba: string;
  /** Settings beside commonSettings (e.g. listen_addresses, WAL archiving). */
  settings?: (dirs: { root: string; dataDir: string; socketDir: string }) => Record<string, string>;
  /** Makes the data directory (default: initDataDir with superuser srcadmin). */
  init?: (bins: PgBinaries, dataDir: string) => Promise<void>;
  /** Runs before the server starts, e.g. to make an archive directory under `root`. */
  prepare?: (root: string) => Promise<void>;
}

export async function launchTestServer(t: Tracker, opts: TestServerOptions): Promise<TestServer> {
  const bins = await findBinaries(15);
  const root = t.mount(opts.prefix);
  const dataDir = path.join(root, "pgdata");
  const socketDir = path.join(root, "run");
  await (opts.init ?? ((b, d) => initDataDir(b, d, "srcadmin")))(bins, dataDir);
  await run("mkdir", ["-m", "0700", socketDir]);
  await giveToServerUser(socketDir);
  await opts.prepare?.(root);
  const hbaFile = path.join(socketDir, "pg_hba.conf");
  await writeServerFile(hbaFile, opts.hba);
  const port = await freePort();
  const { pid } = await launchPostgres({
    bins,
    dataDir,
    socketDir,
    port,
    settings: { ...commonSettings(dataDir, socketDir, hbaFile), ...opts.settings?.({ root, dataDir, socketDir }) },
    logFile: path.join(socketDir, "postgres.log"),
    connectUser: "srcadmin",
    timeoutMs: 60_000,
  });
  t.pids.add(pid);
  const psql = async (db: string, sql: string): Promise<string> =>
    (
      await run(bins.bin("psql"), ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", socketDir, "-p", String(port), "-U", "srcadmin", "-d", db, "-c", sql])
    ).stdout.trim();
  return { bins, root, dataDir, socketDir, port, pid, psql };
}

/**
 * A "production" server to take sources from: its own superuser (srcadmin), a role that owns a
 * table, a replication login with a password, two databases.
 */
export async function startSourceServer(t: Tracker): Promise<SourceServer> {
  const { bins, dataDir, socketDir, port, pid, psql } = await launchTestServer(t, {
    prefix: "dbclone-src-",
    hba: "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\nhost replication all 127.0.0.1/32 scram-sha-256\n",
    settings: () => ({ listen_addresses: "127.0.0.1", fsync: "off", autovacuum: "off", maintenance_work_mem: BUILD_SETTINGS.maintenance_work_mem! }),
  });
  await psql("postgres", "CREATE ROLE app_owner NOLOGIN; CREATE ROLE repl LOGIN REPLICATION PASSWORD 'r3pl p@ss'");
  await psql("postgres", "CREATE DATABASE inventory");
  await psql("postgres", "CREATE DATABASE crm");
  await psql(
    "inventory",
    `CREATE TABLE items (id int PRIMARY KEY, sku text NOT NULL, qty int);
     INSERT INTO items SELECT g, 'SKU-' || g, g % 50 FROM generate_series(1, 2000) g;
     CREATE TABLE owned_notes (id serial PRIMARY KEY, body text); ALTER TABLE owned_notes OWNER TO app_owner;
     INSERT INTO owned_notes (body) VALUES ('hello'), ('world');`,
  );
  await psql(
    "crm",
    "CREATE TABLE contacts (id int PRIMARY KEY, email text); INSERT INTO contacts SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 300) g;",
  );
  return {
    pid,
    port,
    socketDir,
    dataDir,
    superuser: "srcadmin",
    replUrl: `postgresql://repl:${encodeURIComponent("r3pl p@ss")}@127.0.0.1:${port}/postgres`,
    psql,
    dump: async (args) => {
      await run(bins.bin(args[0] === "pg_dumpall" ? "pg_dumpall" : "pg_dump"), [...args.slice(1), "-h", socketDir, "-p", String(port), "-U", "srcadmin"]);
    },
  };
}
