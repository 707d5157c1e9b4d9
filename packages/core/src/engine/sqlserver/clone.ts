// A SQL Server clone: differencing child of the image disk, mounted to a folder, files granted to
// the service account, every database attached FOR ATTACH under a unique name, and a login of its
// own. Teardown undoes it all, each step even when an earlier one failed.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { CloneError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import type { DiskAttachment, DiskDriver } from "../../disk/types.js";
import type { WindowsScriptRunner } from "../../runtime/powershell.js";
import { CleanupStack } from "../../util/cleanup.js";
import { firstRow, type SqlExecutor } from "./executor.js";
import { attachCloneSql, detachStatements, multiUserSql } from "./attach-sql.js";
import { CONTAINED_AUTH_ENABLED, DEFAULT_CLONE_ROLES, SERVICE_ACCOUNT, checkRoles, createLoginSql, createUserSql, dropLoginSql } from "./login-sql.js";
import { filePrincipals, icaclsGrantArgs, icaclsSetOwnerArgs } from "./icacls.js";
import { quoteName } from "./quote.js";
import type { ImageLayout } from "./layout.js";

export interface SqlServerCloneDeps {
  exec: SqlExecutor;
  disk: DiskDriver;
  runner: WindowsScriptRunner;
  reporter: Reporter;
  /** Reads dbclone-layout.json from the mounted child (readImageLayout). */
  readLayout: (mountPath: string) => Promise<ImageLayout>;
}

export interface CloneSqlServerOptions {
  cloneId: string;
  baseFile: string;
  baseDigest?: string;
  /** The clone's own folder: child.vhdx and the mount folder go here. */
  cloneDir: string;
  /** Database roles for the clone login (default db_datareader, db_datawriter, db_ddladmin). */
  roles?: readonly string[];
  /** Tests pass a fixed password; default 32 random characters. */
  password?: string;
  /**
   * DOMAIN\user when dbclone connects with Windows authentication: CREATE DATABASE … FOR ATTACH
   * then opens the files as that caller, who needs rights on them too.
   */
  windowsCaller?: string;
}

/** Everything teardown needs; JSON-serialisable for the clone registry. */
export interface SqlServerCloneRecord {
  cloneId: string;
  childFile: string;
  attachment?: DiskAttachment;
  /** Image database name → attached name. */
  databases: Record<string, string>;
  login?: string;
  password?: string;
}

/** Unique per clone, still readable: <db>__<cloneId>, cut to SQL Server's 128 characters. */
export const cloneDatabaseName = (db: string, cloneId: string): string => `${db.slice(0, 120 - cloneId.length)}__${cloneId}`;

export const randomPassword = (): string => randomBytes(24).toString("base64url").slice(0, 32);

export async function cloneSqlServer(deps: SqlServerCloneDeps, opts: CloneSqlServerOptions): Promise<SqlServerCloneRecord> {
  const { disk, reporter } = deps;
  const roles = opts.roles ?? DEFAULT_CLONE_ROLES;
  checkRoles(roles);
  const childFile = path.win32.join(opts.cloneDir, "child.vhdx");
  const mountPath = path.win32.join(opts.cloneDir, "mnt");
  const record: SqlServerCloneRecord = { cloneId: opts.cloneId, childFile, databases: {} };
  const cleanup = new CleanupStack(reporter);
  try {
    const child = await disk.createChild(opts.baseFile, childFile, opts.baseDigest);
    cleanup.push("delete child disk", () => disk.destroy(child.file));
    const attachment = await disk.mount(child, mountPath);
    record.attachment = attachment;
    cleanup.push("unmount child disk", () => disk.unmount(attachment));
    record.databases = await attachCloneDatabases(deps, { cloneId: opts.cloneId, mountPath, windowsCaller: opts.windowsCaller }, cleanup);
    const login = `dbclone_${opts.cloneId}`;
    const password = opts.password ?? randomPassword();
    reporter.secret(password);
    await createCloneLogin(deps.exec, { login, password, databases: Object.values(record.databases), roles }, cleanup);
    record.login = login;
    record.password = password;
    cleanup.dismiss();
    return record;
  } catch (e) {
    await cleanup.unwind();
    throw e;
  }
}

/**
 * attach (a clone session's start): the files on the mounted child granted to the service account
 * (and a Windows-authenticated caller), every database attached FOR ATTACH as <db>__<id> in
 * MULTI_USER. Each attached database pushes its detach on `cleanup`. Returns image name → attached name.
 */
export async function attachCloneDatabases(
  deps: Pick<SqlServerCloneDeps, "exec" | "runner" | "readLayout">,
  opts: { cloneId: string; mountPath: string; windowsCaller?: string },
  cleanup: CleanupStack,
): Promise<Record<string, string>> {
  const { exec, runner } = deps;
  const { mountPath } = opts;
  const layout = await deps.readLayout(mountPath);
  if (layout.databases.some((d) => d.contained)) {
    const on = Number(firstRow(await exec.execute(CONTAINED_AUTH_ENABLED.sql, CONTAINED_AUTH_ENABLED.params))?.enabled ?? 0) === 1;
    if (!on) {
      throw new CloneError(
        "This image holds a contained database, which SQL Server attaches only with contained database authentication on (Msg 12824). " +
          "Run once on this server: EXEC sp_configure 'contained database authentication', 1; RECONFIGURE; (docs/windows.md).",
      );
    }
  }
  const service = firstRow(await exec.execute(SERVICE_ACCOUNT.sql, SERVICE_ACCOUNT.params));
  const account = String(service?.account ?? "");
  if (!account) throw new CloneError("Could not read the SQL Server service account from sys.dm_server_services; the login needs VIEW SERVER STATE.");
  const instance = service?.instance == null ? null : String(service.instance);
  const databasesDir = path.win32.join(mountPath, "databases");
  await runner.command("icacls", icaclsSetOwnerArgs(databasesDir));
  await runner.command("icacls", icaclsGrantArgs(databasesDir, filePrincipals(account, instance, opts.windowsCaller)));
  const attached: Record<string, string> = {};
  for (const [i, db] of layout.databases.entries()) {
    const name = cloneDatabaseName(db.name, opts.cloneId);
    const files = db.files.map((f) => ({ logicalName: f.logicalName, path: path.win32.join(mountPath, f.path) }));
    const filestream = db.files.some((f) => f.kind === "FILESTREAM") ? { filestreamDirectory: `dbclone_${opts.cloneId}_${i}` } : {};
    await exec.execute(attachCloneSql(name, files, filestream));
    attached[db.name] = name;
    cleanup.push(`detach ${name}`, async () => {
      for (const s of detachStatements(name)) await exec.execute(s.sql, s.params);
    });
    await exec.execute(multiUserSql(name));
  }
  return attached;
}

/** The clone's server login and a user with `roles` in each attached database; pushes the login's drop on `cleanup`. */
export async function createCloneLogin(
  exec: SqlExecutor,
  opts: { login: string; password: string; databases: string[]; roles?: readonly string[] },
  cleanup: CleanupStack,
): Promise<void> {
  const roles = opts.roles ?? DEFAULT_CLONE_ROLES;
  checkRoles(roles);
  await exec.execute(createLoginSql(opts.login, opts.password, opts.databases[0] ?? "master"));
  cleanup.push(`drop login ${opts.login}`, async () => void (await exec.execute(dropLoginSql(opts.login))));
  for (const name of opts.databases) await exec.execute(createUserSql(name, opts.login, roles));
}

/**
 * SINGLE_USER + detach each database (DROP DATABASE when detach fails; a clone's files are thrown
 * away anyway). Every database is tried; returns what failed and which are still attached.
 */
export async function detachCloneDatabases(
  exec: SqlExecutor,
  reporter: Reporter,
  cloneId: string,
  names: readonly string[],
): Promise<{ failures: string[]; stillAttached: string[] }> {
  const failures: string[] = [];
  const stillAttached: string[] = [];
  for (const name of names) {
    try {
      try {
        for (const s of detachStatements(name)) await exec.execute(s.sql, s.params);
      } catch (e) {
        reporter.warn(`teardown of ${cloneId}: detach ${name} failed (${(e as Error).message}); dropping it instead`);
        await exec.execute(`USE [master];\nIF DB_ID(@db) IS NOT NULL DROP DATABASE ${quoteName(name)};`, { db: name });
      }
    } catch (e) {
      failures.push(`detach ${name}: ${(e as Error).message}`);
      reporter.warn(`teardown of ${cloneId}: detach ${name} failed: ${(e as Error).message}`);
    }
    const left = await exec.execute("SELECT DB_ID(@db) AS id;", { db: name }).catch(() => [[{ id: -1 }]]);
    if (firstRow(left)?.id != null) stillAttached.push(name);
  }
  return { failures, stillAttached };
}

/**
 * Detach every database, drop the login, remove the folder mount and dismount, delete the child
 * (the driver retries while a handle is open). Every step runs and failures are collected, except
 * that a disk under a still-attached database stays.
 */
export async function teardownSqlServer(deps: Pick<SqlServerCloneDeps, "exec" | "disk" | "reporter">, record: SqlServerCloneRecord): Promise<void> {
  const { exec, disk, reporter } = deps;
  const step = async (label: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      failures.push(`${label}: ${(e as Error).message}`);
      reporter.warn(`teardown of ${record.cloneId}: ${label} failed: ${(e as Error).message}`);
    }
  };
  const { failures, stillAttached } = await detachCloneDatabases(exec, reporter, record.cloneId, Object.values(record.databases));
  if (record.login) await step(`drop login ${record.login}`, () => exec.execute(dropLoginSql(record.login!)));
  if (stillAttached.length > 0) {
    // Dismounting under an attached database leaves it suspect on the server: leave both for gc.
    failures.push(stillAttachedFailure(stillAttached));
  } else {
    if (record.attachment) await step("unmount child disk", () => disk.unmount(record.attachment!));
    await step("delete child disk", () => disk.destroy(record.childFile));
  }
  if (failures.length > 0) throw teardownError(record.cloneId, failures);
}

export const stillAttachedFailure = (names: readonly string[]): string => `${names.join(", ")} still attached: the child disk stays mounted`;

export const teardownError = (cloneId: string, failures: readonly string[]): CloneError =>
  new CloneError(`Teardown of clone ${cloneId} left work undone:\n- ${failures.join("\n- ")}\nRun dbclone gc to retry.`);
