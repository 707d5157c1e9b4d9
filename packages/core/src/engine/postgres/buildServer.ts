// A throw-away server over a data directory being built: private socket only, no durability.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { PgBinaries } from "./binaries.js";
import { BUILD_SETTINGS, LOCAL_TRUST_HBA, commonSettings, writeServerFile } from "./config.js";
import { launchPostgres, stopPostgres } from "./launch.js";
import { giveToServerUser } from "./osUser.js";

export interface BuildServer {
  pid: number;
  port: number;
  socketDir: string;
  adminUser: string;
  logFile: string;
}

/** The socket name carries the port; nothing listens on TCP, so any number does. */
const BUILD_PORT = 5432;

export async function startBuildServer(bins: PgBinaries, dataDir: string, adminUser: string, timeoutMs = 120_000): Promise<BuildServer> {
  // Under the system temp dir: short enough for the 107-byte socket path limit.
  const socketDir = await mkdtemp(path.join(os.tmpdir(), "dbclone-pg-"));
  try {
    await chmod(socketDir, 0o700);
    await giveToServerUser(socketDir);
    const hbaFile = path.join(socketDir, "pg_hba.conf");
    await writeServerFile(hbaFile, LOCAL_TRUST_HBA);
    const logFile = path.join(socketDir, "postgres.log");
    const { pid } = await launchPostgres({
      bins,
      dataDir,
      socketDir,
      port: BUILD_PORT,
      settings: { ...commonSettings(dataDir, socketDir, hbaFile), ...BUILD_SETTINGS, cluster_name: "dbclone-build" },
      logFile,
      connectUser: adminUser,
      timeoutMs,
    });
    return { pid, port: BUILD_PORT, socketDir, adminUser, logFile };
  } catch (e) {
    await rm(socketDir, { recursive: true, force: true });
    throw e;
  }
}

export async function stopBuildServer(s: BuildServer): Promise<void> {
  try {
    await stopPostgres(s.pid, { fast: true });
  } finally {
    await rm(s.socketDir, { recursive: true, force: true });
  }
}
