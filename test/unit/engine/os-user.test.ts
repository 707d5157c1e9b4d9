import { describe, expect, it } from "vitest";
import { passwdIds } from "../../../packages/core/src/engine/postgres/osUser.js";

describe("passwdIds: the postgres OS user without spawning `id` on every clone", () => {
  const passwd = [
    "root:x:0:0:root:/root:/bin/bash",
    "postgresql:x:200:200::/nonexistent:/usr/sbin/nologin",
    "postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash",
    "",
  ].join("\n");

  it("reads the user's uid and gid from its own line, not from a user whose name only starts the same", () => {
    expect(passwdIds("postgres", passwd)).toEqual({ uid: 101, gid: 104 });
    expect(passwdIds("root", passwd)).toEqual({ uid: 0, gid: 0 });
  });

  it("answers undefined for a missing user or a damaged line, so the caller asks NSS (id) instead", () => {
    expect(passwdIds("nobody-here", passwd)).toBeUndefined();
    expect(passwdIds("postgres", "postgres:x:abc:104::/:/bin/sh\n")).toBeUndefined();
    expect(passwdIds("postgres", "postgres:x\n")).toBeUndefined();
  });

  it("agrees with this machine's /etc/passwd for root", () => {
    expect(passwdIds("root")).toEqual({ uid: 0, gid: 0 });
  });
});
