import path from "node:path";
import { describe, expect, it } from "vitest";
import { durabilitySettings, hbaContents } from "../../../packages/core/src/engine/postgres/config.js";
import { isLeftBehind } from "../../../packages/core/src/engine/postgres/copyFresh.js";

describe("pg_hba.conf for a clone", () => {
  it("trusts only the private socket and rejects the admin over TCP before any password line", () => {
    const lines = hbaContents("dbclone_admin", "127.0.0.1")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(lines).toEqual([
      "local all all trust",
      'host all "dbclone_admin" all reject',
      "host all all 127.0.0.1/32 scram-sha-256",
      "host all all ::1/128 scram-sha-256",
    ]);
  });

  it("admits only the bridge's gateway in a bridged container", () => {
    const hba = hbaContents("dbclone_admin", "127.0.0.1", true, "172.18.0.1");
    expect(hba).toContain("host all all 172.18.0.1/32 scram-sha-256");
    expect(hba).not.toContain("host all all all");
    expect(hba.indexOf('host all "dbclone_admin" all reject')).toBeLessThan(hba.indexOf("172.18.0.1"));
  });

  it("accepts remote password logins only when listening beyond localhost", () => {
    expect(hbaContents("a", "0.0.0.0")).toContain("host all all all scram-sha-256");
    expect(hbaContents("a", "localhost")).not.toContain("host all all all");
  });
});

describe("durability", () => {
  it("turns fsync off for ephemeral clones only", () => {
    expect(durabilitySettings("ephemeral")).toEqual({ fsync: "off", synchronous_commit: "off", full_page_writes: "off" });
    expect(durabilitySettings("durable")).toEqual({});
  });
});

describe("copyFresh leaves behind", () => {
  it.each([
    ["postmaster.pid", true],
    ["postmaster.opts", true],
    [path.join("pg_wal", "000000010000000000000003"), true],
    [path.join("pg_wal", "archive_status", "x.done"), true],
    [path.join("pg_stat_tmp", "global.stat"), true],
    [path.join("pg_replslot", "slot1"), true],
    [path.join("log", "postgresql.log"), true],
    [path.join("global", "pg_internal.init"), true],
    ["pg_wal", false],
    [path.join("base", "5", "16384"), false],
    [path.join("global", "pg_control"), false],
    ["PG_VERSION", false],
    ["postgresql.conf", false],
  ])("%s → %s", (relative, expected) => {
    expect(isLeftBehind(relative)).toBe(expected);
  });
});
