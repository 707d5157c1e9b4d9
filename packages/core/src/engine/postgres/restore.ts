// Builds <mountPath>/pgdata from sources: at most one physical source (data dir or live server)
// as the base, then any number of dumps on top, each into its own database.
import { BuildError, NotSupportedError, SourceError } from "../../errors.js";
import { ensureOwnerRole, handOverOwnership } from "./ownership.js";
import type { Reporter } from "../../reporter.js";
import type { EngineInfo, SourceSpec } from "../types.js";
import { binariesVersion, findBinaries, type PgBinaries } from "./binaries.js";
import { startBuildServer, stopBuildServer } from "./buildServer.js";
import { connectableDatabases, userDatabases, withAdmin } from "./client.js";
import { baseBackup, bootstrapSuperuser, copyDataDir, initDataDir } from "./dataDir.js";
import { refuseReplayOutside } from "./wal-check.js";
import { ADMIN_USER, dataDirOf, writeEngineFile } from "./engineFile.js";
import { replaceSourceConfig } from "./config.js";
import { assertReachable } from "./osUser.js";
import { probeBaseBackup, restoreBaseBackup } from "./pitr.js";
import { probeDataDir, probeDump, probeServer } from "./probe.js";
import { restoreDump } from "./restoreDump.js";
import { forgetRolePasswords } from "./role-passwords.js";
import { lockUntrustedFunctions } from "./untrusted-functions.js";
import { disableCodeTriggers } from "./code-triggers.js";
import { describeSetting, resetCarriedSettings } from "./role-settings.js";
import { dropForeignSecrets, dropSubscriptions } from "./foreign-access.js";
import { describeGrant, resetReservedRoles, revokeWidenedSystemGrants } from "./source-privileges.js";

type Physical = Extract<SourceSpec, { kind: "datadir" | "server" | "basebackup" }>;
type Dump = Extract<SourceSpec, { kind: "dump" }>;

export async function restoreSources(sources: SourceSpec[], mountPath: string, reporter: Reporter): Promise<EngineInfo> {
  if (sources.length === 0) throw new SourceError("No sources given: name at least one dump, data directory or server URL.");
  const physical = sources.filter((s): s is Physical => s.kind === "datadir" || s.kind === "server" || s.kind === "basebackup");
  const dumps = sources.filter((s): s is Dump => s.kind === "dump");
  if (sources.some((s) => s.kind === "backup-chain")) {
    throw new NotSupportedError("A backup chain is a SQL Server source; PostgreSQL images take dumps, data directories or server URLs.");
  }
  if (physical.length > 1) {
    throw new SourceError(
      "Only one data directory, live server or base backup can be the base of an image (each is a whole cluster); add the others as dumps.",
    );
  }

  // Check everything before creating anything.
  let major: number | undefined;
  for (const s of physical) {
    major = (s.kind === "datadir" ? await probeDataDir(s.path) : s.kind === "basebackup" ? await probeBaseBackup(s) : await probeServer(s.url)).major;
  }
  for (const s of dumps) await probeDump(s.path);
  const bins = await findBinaries(major);
  const dataDir = dataDirOf(mountPath);
  await assertReachable(dataDir);

  const progress = reporter.progress("Restoring PostgreSQL sources", sources.length + 2);
  let step = 0;
  let adminUser = ADMIN_USER;
  let backupChain: Record<string, unknown> | undefined;
  const base = physical[0];
  if (base?.kind === "datadir") {
    reporter.info(`Copying data directory ${base.path}`);
    await copyDataDir(base.path, dataDir);
  } else if (base?.kind === "basebackup") {
    // Replayed to its target and promoted; the chain goes into the manifest.
    backupChain = await restoreBaseBackup(bins, base, dataDir, reporter);
  } else if (base?.kind === "server") {
    reporter.info("Taking a base backup of the live server");
    await baseBackup(bins, base.url, dataDir);
  } else {
    await initDataDir(bins, dataDir, adminUser);
  }
  // Single-user mode replays a copied cluster's WAL first: nothing in it may act outside the data directory.
  if (base?.kind === "datadir") await refuseReplayOutside(bins, dataDir, `The data directory ${base.path}`);
  if (base?.kind === "server") await refuseReplayOutside(bins, dataDir, "The live server's base backup");
  if (base) adminUser = await bootstrapSuperuser(bins, dataDir);
  progress.update(++step);

  const server = await startBuildServer(bins, dataDir, adminUser);
  try {
    const filled = new Set<string>();
    for (const dump of dumps) {
      reporter.info(`Restoring ${dump.path}`);
      const dbs = await restoreDump(bins, server, dump, filled);
      reporter.debug(`${dump.path} → ${dbs.join(", ")}`);
      progress.update(++step);
    }
    // Row estimates for the manifest and plans for the first clone queries; scrub redoes it later.
    const databases = await withAdmin(server, "template1", userDatabases);
    for (const db of databases) await withAdmin(server, db, (c) => c.query("ANALYZE"));
    // A copied cluster's roles and system-catalog ACLs travel with it: see source-privileges.ts.
    await takeBackSourcePrivileges(server, reporter);
    // Clone logins must be able to run migrations: see ownership.ts.
    await withAdmin(server, "template1", ensureOwnerRole);
    for (const db of databases) await withAdmin(server, db, handOverOwnership);
    await forgetSourceRolePasswords(server);
  } catch (e) {
    throw e instanceof SourceError || e instanceof NotSupportedError ? e : new BuildError(`Restore failed: ${(e as Error).message}`, { cause: e });
  } finally {
    await stopBuildServer(server);
  }
  // A dump restores as superuser and may have run ALTER SYSTEM: nothing of that travels.
  await replaceSourceConfig(dataDir);
  const info = await finish(bins, mountPath, adminUser);
  progress.update(sources.length + 2);
  progress.finish(`Restored PostgreSQL ${info.version}`);
  return { kind: "postgres", version: info.version, rolePasswordsStripped: true, ...(backupChain ? { backupChain } : {}) };
}

/** Password verifiers of the source's roles, the bootstrap superuser's included: see role-passwords.ts. */
async function forgetSourceRolePasswords(server: { socketDir: string; port: number; adminUser: string }): Promise<void> {
  // "postgres" may have been dropped in a copied cluster; template1 is there to start from.
  const start = await withAdmin(server, "template1", async (c) =>
    (await c.query("SELECT 1 FROM pg_database WHERE datname = 'postgres' AND datallowconn")).rowCount ? "postgres" : "template1",
  );
  await forgetRolePasswords(server, start, (m) => new BuildError(`${m} The image was not built.`));
}

async function takeBackSourcePrivileges(server: { socketDir: string; port: number; adminUser: string }, reporter: Reporter): Promise<void> {
  const settings = await withAdmin(server, "template1", (c) => resetCarriedSettings(c, (m) => new BuildError(`${m} The image was not built.`)), {
    catalogOnly: true,
  });
  if (settings.length > 0)
    reporter.warn(
      `Reset ${settings.length} ALTER ROLE/DATABASE … SET setting(s) of the source that would undo the server's hardened settings: ${settings.slice(0, 5).map(describeSetting).join("; ")}${settings.length > 5 ? "; …" : ""}.`,
    );
  const reset = await withAdmin(server, "template1", resetReservedRoles, { catalogOnly: true });
  if (reset.length > 0) reporter.warn(`The source has role(s) named ${reset.join(", ")}, which dbclone reserves: stripped to bare NOLOGIN roles.`);
  for (const db of await withAdmin(server, "template1", connectableDatabases, { catalogOnly: true })) {
    const fail = (m: string) => new BuildError(`Database ${db}: ${m} The image was not built.`);
    const { triggers, taken, stripped, subscriptions, locked } = await withAdmin(
      server,
      db,
      async (c) => ({
        triggers: await disableCodeTriggers(c, fail), // first: an event trigger would fire on the revokes
        taken: await revokeWidenedSystemGrants(c),
        stripped: await dropForeignSecrets(c, fail),
        subscriptions: await dropSubscriptions(c, fail),
        locked: await lockUntrustedFunctions(c, fail),
      }),
      { catalogOnly: true },
    );
    if (triggers.length > 0)
      reporter.warn(
        `Database ${db}: took out ${triggers.length} trigger(s) that would run code no grant keeps from a clone (event triggers disabled, untrusted-language triggers dropped): ${triggers.slice(0, 3).join("; ")}${triggers.length > 3 ? "; …" : ""}.`,
      );
    if (locked.length > 0) {
      const shown = locked
        .slice(0, 3)
        .map((f) => `${f.name} (${f.language})`)
        .join(", ");
      reporter.warn(
        `Database ${db}: ${locked.length} function(s) in an untrusted language, which run outside PostgreSQL's sandbox, can no longer be run by the image's roles or a clone's login: ${shown}${locked.length > 3 ? ", …" : ""}.`,
      );
    }
    if (subscriptions.length > 0)
      reporter.warn(`Database ${db}: dropped logical subscription(s) ${subscriptions.join(", ")} (a clone must not connect to a publisher).`);
    for (const s of stripped) reporter.warn(`Database ${db}: took ${s.options} out of ${s.what} (a password, a file or a program outside the image).`);
    if (taken.length > 0) {
      const shown = taken.slice(0, 3).map(describeGrant).join("; ");
      reporter.warn(
        `Database ${db}: took back ${taken.length} privilege(s) on system objects the source granted beyond PostgreSQL's defaults (${shown}${taken.length > 3 ? "; …" : ""}).`,
      );
    }
  }
}

async function finish(bins: PgBinaries, mountPath: string, adminUser: string) {
  const version = await binariesVersion(bins.dir);
  const info = { kind: "postgres" as const, version, adminUser };
  await writeEngineFile(mountPath, info);
  return info;
}
