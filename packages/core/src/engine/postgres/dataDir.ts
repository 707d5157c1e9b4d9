// Creating and filling <mountPath>/pgdata: initdb, a copied data directory, a base backup.
import { existsSync, lstatSync } from "node:fs";
import { chmod, mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { BuildError, SourceError } from "../../errors.js";
import { childEnv } from "../../runtime/childEnv.js";
import { run } from "../../runtime/exec.js";
import type { PgBinaries } from "./binaries.js";
import { HARDENED_SETTINGS, replaceSourceConfig } from "./config.js";
import { giveToServerUser, serverUser } from "./osUser.js";
import { splitPassword } from "./url.js";

/** An empty data directory owned by the server user, mode 0700 (PostgreSQL insists). */
export async function makeEmptyDataDir(dataDir: string): Promise<void> {
  if (existsSync(dataDir) && (await readdir(dataDir)).length > 0) {
    throw new BuildError(`${dataDir} already holds files; restore needs a fresh, empty disk.`);
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  await giveToServerUser(dataDir);
}

let localeChoice: string | undefined;
/** C.UTF-8 when the host has it (Unicode-aware upper/lower/regex), else C. */
async function ctypeLocale(): Promise<string> {
  if (localeChoice) return localeChoice;
  const r = await run("locale", ["-a"], { allowFailure: true }).catch(() => undefined);
  localeChoice = r && /^c\.utf-?8$/im.test(r.stdout) ? "C.UTF-8" : "C";
  return localeChoice;
}

/**
 * initdb for a dump restore. Collation C: byte-order sorting is the same on every host and never
 * changes with a glibc upgrade, so a clone's indexes stay valid wherever it is started; ctype
 * C.UTF-8 keeps upper()/lower() and regex classes Unicode-aware. Trust auth is safe: dbclone
 * always passes its own hba_file (socket-only trust, no TCP for the admin). --no-sync: the image
 * is copied fresh and flushed by the disk layer later.
 */
export async function initDataDir(bins: PgBinaries, dataDir: string, adminUser: string): Promise<void> {
  await makeEmptyDataDir(dataDir);
  await run(
    bins.bin("initdb"),
    ["-D", dataDir, "-U", adminUser, "--auth=trust", "-E", "UTF8", `--locale=${await ctypeLocale()}`, "--lc-collate=C", "--no-sync", "--no-instructions"],
    { asUser: serverUser().asUser, cwd: "/" },
  );
}

/** Copy a stopped data directory (cp -a keeps modes and times), then make it ours. */
export async function copyDataDir(source: string, dataDir: string): Promise<void> {
  await makeEmptyDataDir(dataDir);
  await run("cp", ["-a", "--", `${source}/.`, dataDir]);
  // pg_wal may be a symlink to another disk: the image must hold the WAL itself.
  const wal = path.join(dataDir, "pg_wal");
  if (lstatSync(wal).isSymbolicLink()) {
    // Followed as the server user, never as root: a link to /root/.ssh would otherwise be copied in.
    await rm(wal);
    await giveToServerUser(dataDir);
    await run("cp", ["-a", "--", `${path.resolve(source, "pg_wal")}/.`, wal], { asUser: serverUser().asUser, cwd: "/" }).catch((e: Error) => {
      throw new SourceError(
        `${source}/pg_wal links elsewhere and the server's OS user could not copy from there (${e.message.split("\n").pop()}); give it read access or copy the WAL into the data directory.`,
      );
    });
  }
  await finishPhysicalCopy(dataDir);
}

/** pg_basebackup of a live server; the password goes through PGPASSWORD, never argv. */
export async function baseBackup(bins: PgBinaries, url: string, dataDir: string): Promise<void> {
  await makeEmptyDataDir(dataDir);
  const { url: safeUrl, password } = splitPassword(url);
  const env = childEnv(password !== undefined ? { PGPASSWORD: password } : {});
  await run(bins.bin("pg_basebackup"), ["-d", safeUrl, "-D", dataDir, "-X", "stream", "-c", "fast", "--no-sync"], {
    env,
    asUser: serverUser().asUser,
    cwd: "/",
    secrets: password ? [password] : [],
    timeoutMs: 6 * 3600_000,
  });
  await finishPhysicalCopy(dataDir);
}

async function finishPhysicalCopy(dataDir: string): Promise<void> {
  // A stale lock file whose pid now belongs to another process would stop our server starting.
  for (const f of ["postmaster.pid", "postmaster.opts", "standby.signal", "recovery.signal"]) {
    await rm(path.join(dataDir, f), { force: true });
  }
  await run("chown", ["-R", `${serverUser().uid}:${serverUser().gid}`, dataDir]);
  await chmod(dataDir, 0o700);
  await replaceSourceConfig(dataDir);
}

/** A single-user server reads no file of the source's: an empty config_file, the hardened settings. */
export function singleUserSettings(): string[] {
  const settings = { config_file: "/dev/null", ...HARDENED_SETTINGS };
  return Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
}

/**
 * The bootstrap superuser's name (oid 10) in a copied cluster. Single-user mode always runs as
 * that role whatever it is called, so we can ask before knowing any role name.
 */
export async function bootstrapSuperuser(bins: PgBinaries, dataDir: string): Promise<string> {
  const { stdout } = await run(bins.bin("postgres"), ["--single", "-D", dataDir, ...singleUserSettings(), "template1"], {
    asUser: serverUser().asUser,
    cwd: "/",
    input: "SELECT rolname FROM pg_authid WHERE oid = 10;\n",
  });
  const name = /rolname = "([^"]+)"/.exec(stdout)?.[1];
  if (!name) throw new BuildError(`Could not find the superuser of ${dataDir} (single-user mode said: ${stdout.slice(0, 300)}).`);
  return name;
}
