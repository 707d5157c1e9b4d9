// Server settings and the pg_hba.conf dbclone writes; the data directory's own are never trusted.
import { constants } from "node:fs";
import { lstat, open, unlink } from "node:fs/promises";
import path from "node:path";
import { BuildError } from "../../errors.js";
import type { Durability } from "../types.js";
import { serverUser } from "./osUser.js";

/** The configuration files dbclone writes into a server's run directory (never the data directory's). */
export const CONFIG_FILE = "postgresql.conf";
export const IDENT_FILE = "pg_ident.conf";

/**
 * Settings a data directory (postgresql.auto.conf, which PostgreSQL reads whatever config_file
 * says) could use to run code, load libraries, log statements with their values or reach out.
 * Command-line settings outrank every file, so these always win.
 */
export const HARDENED_SETTINGS: Readonly<Record<string, string>> = {
  archive_mode: "off",
  archive_command: "",
  archive_library: "",
  restore_command: "",
  archive_cleanup_command: "",
  recovery_end_command: "",
  primary_conninfo: "",
  shared_preload_libraries: "",
  local_preload_libraries: "",
  session_preload_libraries: "",
  dynamic_library_path: "$libdir",
  jit: "off",
  jit_provider: "llvmjit",
  ssl: "off",
  ssl_passphrase_command: "",
  logging_collector: "off",
  log_destination: "stderr",
  log_statement: "none",
  log_min_duration_statement: "-1",
  log_min_duration_sample: "-1",
  log_transaction_sample_rate: "0",
  log_min_error_statement: "panic", // the failing statement would carry its values into the log
  log_error_verbosity: "terse", // no DETAIL/CONTEXT lines, which echo row values
  log_parameter_max_length: "0",
  log_parameter_max_length_on_error: "0",
  password_encryption: "scram-sha-256",
  external_pid_file: "",
  // A subscription copied with a data directory would connect to its publisher and apply from it.
  max_logical_replication_workers: "0",
};

/** Settings every server we start gets: our config, socket, hba and ident files, the hardened ones. */
export function commonSettings(_dataDir: string, socketDir: string, hbaFile: string): Record<string, string> {
  return {
    config_file: path.join(socketDir, CONFIG_FILE),
    ...HARDENED_SETTINGS,
    unix_socket_directories: socketDir,
    unix_socket_permissions: "0700",
    hba_file: hbaFile,
    ident_file: path.join(socketDir, IDENT_FILE),
  };
}

/** postgresql.conf and pg_ident.conf of ours in the run directory that commonSettings names. */
export async function writeRunConfig(socketDir: string): Promise<void> {
  await writeServerFile(
    path.join(socketDir, CONFIG_FILE),
    "# Written by dbclone; every setting is passed on the command line. The data directory's postgresql.conf is not read.\n",
  );
  await writeServerFile(path.join(socketDir, IDENT_FILE), "# Written by dbclone: no ident maps.\n");
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
export function hbaContents(adminUser: string, host: string, listenAll = false, onlyPeer?: string): string {
  const lines = [
    "# Written by dbclone for this server; the data directory's own pg_hba.conf is not used.",
    "local all all trust",
    `host all ${hbaQuote(adminUser)} all reject`,
    "host all all 127.0.0.1/32 scram-sha-256",
    "host all all ::1/128 scram-sha-256",
  ];
  // In a bridged container, connections through the published port come from the bridge's gateway:
  // only it is admitted, so another container on the same bridge cannot log in.
  if (onlyPeer) lines.push(`host all all ${onlyPeer.includes(":") ? `${onlyPeer}/128` : `${onlyPeer}/32`} scram-sha-256`);
  else if (listenAll || !["127.0.0.1", "::1", "localhost"].includes(host)) lines.push("host all all all scram-sha-256");
  return `${lines.join("\n")}\n`;
}

export const LOCAL_TRUST_HBA = "# dbclone build server: private socket only\nlocal all all trust\n";

/**
 * Write a file the server user owns, never through a link: a data directory (or a dump's
 * COPY … TO PROGRAM during restore) may have planted one where this file goes. A link or other
 * non-file in the way is removed (the link itself); then the file is created with O_EXCL and
 * O_NOFOLLOW, so a link that appears in between fails the write instead of redirecting it.
 */
export async function writeServerFile(file: string, text: string): Promise<void> {
  const existing = await lstat(file).catch(() => undefined);
  if (existing) await unlink(file);
  const fh = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600).catch((e: NodeJS.ErrnoException) => {
    throw new BuildError(`Could not create ${file} (${e.code}): something else created it meanwhile; nothing was written through it. Retry.`);
  });
  try {
    await fh.writeFile(text);
    const u = serverUser();
    if (u.asUser) await fh.chown(u.uid, u.gid);
  } finally {
    await fh.close();
  }
}

/** Config files a source's data directory may hold: replaced at build by inert ones (auto.conf emptied). */
const SOURCE_CONFIG_FILES = ["postgresql.conf", "postgresql.auto.conf", "pg_hba.conf", "pg_ident.conf"];

/**
 * A data directory taken from a source keeps none of its own configuration: archive_command,
 * preload libraries or credentials in it would travel in the image. Links are replaced, not followed.
 */
export async function replaceSourceConfig(dataDir: string): Promise<void> {
  for (const f of SOURCE_CONFIG_FILES) {
    await writeServerFile(
      path.join(dataDir, f),
      `# Replaced by dbclone at build: servers read dbclone's own ${f === "postgresql.auto.conf" ? "settings" : "configuration"}.\n`,
    );
  }
}
