// The settings that stand between a hostile data directory and code execution or a log full of
// row values. postgresql.auto.conf is read whatever config_file says; only command-line settings
// outrank it, so each of these must be passed with exactly this value. A dropped or emptied entry
// here is a data directory that can run a program, load a library or log its rows.
import { describe, expect, it } from "vitest";
import {
  BUILD_SETTINGS,
  CONFIG_FILE,
  HARDENED_SETTINGS,
  IDENT_FILE,
  LOCAL_TRUST_HBA,
  commonSettings,
  hbaContents,
} from "../../../packages/core/src/engine/postgres/config.js";

describe("settings a data directory cannot override", () => {
  it("no command, library, network peer or verbose log survives from the data directory", () => {
    expect(HARDENED_SETTINGS).toEqual({
      // programs the server would run
      archive_mode: "off",
      archive_command: "",
      archive_library: "",
      restore_command: "",
      archive_cleanup_command: "",
      recovery_end_command: "",
      ssl_passphrase_command: "",
      // a replication peer to reach out to
      primary_conninfo: "",
      // a publisher a copied subscription would connect to
      max_logical_replication_workers: "0",
      // libraries it would load
      shared_preload_libraries: "",
      local_preload_libraries: "",
      session_preload_libraries: "",
      dynamic_library_path: "$libdir",
      jit: "off",
      jit_provider: "llvmjit",
      ssl: "off",
      // logs that would carry row values
      logging_collector: "off",
      log_destination: "stderr",
      log_statement: "none",
      log_min_duration_statement: "-1",
      log_min_duration_sample: "-1",
      log_transaction_sample_rate: "0",
      log_min_error_statement: "panic",
      log_error_verbosity: "terse",
      log_parameter_max_length: "0",
      log_parameter_max_length_on_error: "0",
      password_encryption: "scram-sha-256",
      external_pid_file: "",
    });
  });

  it("every server reads dbclone's own config, hba and ident files from its private 0700 socket directory", () => {
    const s = commonSettings("/data", "/run/dbclone/s1", "/run/dbclone/s1/pg_hba.conf");
    expect(CONFIG_FILE).toBe("postgresql.conf");
    expect(IDENT_FILE).toBe("pg_ident.conf");
    expect(s).toEqual({
      ...HARDENED_SETTINGS,
      config_file: "/run/dbclone/s1/postgresql.conf",
      unix_socket_directories: "/run/dbclone/s1",
      unix_socket_permissions: "0700",
      hba_file: "/run/dbclone/s1/pg_hba.conf",
      ident_file: "/run/dbclone/s1/pg_ident.conf",
    });
  });

  it("a build server listens on no TCP address and keeps no WAL for replicas", () => {
    expect(BUILD_SETTINGS).toEqual({
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
    });
    expect(LOCAL_TRUST_HBA).toBe("# dbclone build server: private socket only\nlocal all all trust\n");
  });
});

describe("pg_hba.conf against hostile names and peers", () => {
  it("an admin name with quotes cannot break out of its reject line", () => {
    expect(hbaContents('adm"in all trust #', "127.0.0.1")).toBe(
      [
        "# Written by dbclone for this server; the data directory's own pg_hba.conf is not used.",
        "local all all trust",
        'host all "admin all trust #" all reject',
        "host all all 127.0.0.1/32 scram-sha-256",
        "host all all ::1/128 scram-sha-256",
        "",
      ].join("\n"),
    );
  });

  it("a server on ::1 or localhost admits no remote peer; an IPv6 gateway gets a /128", () => {
    expect(hbaContents("a", "::1")).not.toContain("host all all all");
    expect(hbaContents("a", "localhost")).not.toContain("host all all all");
    expect(hbaContents("a", "::1", true)).toContain("host all all all scram-sha-256");
    const v6 = hbaContents("a", "127.0.0.1", true, "fd00::1");
    expect(v6).toContain("host all all fd00::1/128 scram-sha-256\n");
    expect(v6).not.toContain("host all all all");
  });
});
