// Server settings and the pg_hba.conf dbclone writes; the data directory's own are never trusted.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Durability } from "../types.js";
import { giveToServerUser } from "./osUser.js";

/** Settings every server we start gets: our socket, our hba, logs to our file, no TLS. */
export function commonSettings(dataDir: string, socketDir: string, hbaFile: string): Record<string, string> {
  return {
    unix_socket_directories: socketDir,
    unix_socket_permissions: "0700",
    hba_file: hbaFile,
    ident_file: path.join(dataDir, "pg_ident.conf"),
    external_pid_file: "",
    logging_collector: "off",
    log_destination: "stderr",
    ssl: "off",
  };
}

/** Fast, throw-away durability while an image is built; it is copied fresh afterwards. */
export const BUILD_SETTINGS: Record<string, string> = {
  listen_addresses: "",
  wal_level: "minimal",
  max_wal_senders: "0",
  archive_mode: "off",
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  autovacuum: "off",
  maintenance_work_mem: "256MB",
  max_wal_size: "4GB",
};

export function durabilitySettings(d: Durability): Record<string, string> {
  // A clone is disposable: losing it in a host crash is fine, waiting on fsync is not.
  return d === "durable" ? {} : { fsync: "off", synchronous_commit: "off", full_page_writes: "off" };
}

const hbaQuote = (name: string): string => `"${name.replace(/"/g, "")}"`;

/**
 * Private socket: trust (the socket directory is 0700, only we and the server user get in).
 * TCP: password (SCRAM) for everyone except the admin, who may never log in over the network.
 */
export function hbaContents(adminUser: string, host: string, listenAll = false): string {
  const lines = [
    "# Written by dbclone for this server; the data directory's own pg_hba.conf is not used.",
    "local all all trust",
    `host all ${hbaQuote(adminUser)} all reject`,
    "host all all 127.0.0.1/32 scram-sha-256",
    "host all all ::1/128 scram-sha-256",
  ];
  // In a bridged container, connections through the published port come from the bridge's gateway.
  if (listenAll || !["127.0.0.1", "::1", "localhost"].includes(host)) lines.push("host all all all scram-sha-256");
  return lines.join("\n") + "\n";
}

export const LOCAL_TRUST_HBA = "# dbclone build server: private socket only\nlocal all all trust\n";

export async function writeServerFile(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  await giveToServerUser(file);
}

/** Data directories taken from Debian clusters keep their config in /etc: give them empty ones. */
export async function ensureConfigFiles(dataDir: string): Promise<void> {
  for (const f of ["postgresql.conf", "pg_ident.conf"]) {
    const file = path.join(dataDir, f);
    if (!existsSync(file)) await writeServerFile(file, `# created by dbclone: the source kept ${f} outside its data directory\n`);
  }
}
