// SQL Server behind the engine contract. Its clones are databases attached to the runner's SQL
// Server service, so start = attach the databases on the mounted child VHDX as <db>__<id>, stop =
// detach them, and the login is a server login dropped with the clone. Its build runs the one
// pipeline (build/build-image.ts): restore = RESTORE the backup chains onto the staging VHDX (which
// leaves them attached: the build's "server"), stop = detach them, copyFresh + finishFresh = copy the
// data files and attach them FOR ATTACH_REBUILD_LOG on the fresh disk (build-steps.ts). The host
// (connection settings, VHDX driver, runner) is injected; tests pass the fake one.
import path from "node:path";
import { CloneError, SourceError } from "../../errors.js";
import { silentReporter, type Reporter } from "../../reporter.js";
import type { StagingDisk } from "../../disk/types.js";
import { CleanupStack } from "../../util/cleanup.js";
import type {
  CloneEndpoint,
  CloneLogin,
  Credentials,
  DatabaseInfo,
  Engine,
  EngineInfo,
  FreshDiskContext,
  RunningServer,
  SourceSpec,
  StartOptions,
} from "../types.js";
import { SqlServerBuild, serverVersion } from "./build-steps.js";
import { attachCloneDatabases, cloneDatabaseName, createCloneLogin, detachCloneDatabases, stillAttachedFailure, teardownError } from "./clone.js";
import type { SqlExecutor } from "./executor.js";
import { adoConnectionString, sqlServerHost, sqlServerPort, windowsCaller, withSqlServer, type SqlServerHost } from "./host.js";
import { dropLoginSql } from "./login-sql.js";
import { sqlServerSchemaFacts } from "./schema-facts.js";
import { verifyCloneSql } from "./verify-sql.js";

export class SqlServerEngine implements Engine {
  readonly kind = "sqlserver" as const;
  /** The build this instance runs (platformForBuild makes one engine per build). */
  private buildState?: SqlServerBuild;

  constructor(private readonly host: SqlServerHost = sqlServerHost()) {}

  private get build(): SqlServerBuild {
    this.buildState ??= new SqlServerBuild(this.host.files);
    return this.buildState;
  }

  /** Nothing to find on PATH: the VHDX driver checks its own tools, and the server is reached at first use. */
  async checkPrerequisites(): Promise<void> {}

  /** A backup chain, named by its files (no path: it names the builder's machine); the chain itself is read in stagingSize. */
  async probeSource(source: SourceSpec): Promise<{ description: string }> {
    if (source.kind !== "backup-chain") throw new SourceError(`SQL Server images are built from backup chains (--from-backup), not a ${source.kind} source.`);
    const files = [source.full, source.differential, ...(source.logs ?? [])].filter((f): f is string => Boolean(f));
    return { description: files.map((f) => path.win32.basename(f)).join(" + ") };
  }

  /** RESTORE HEADERONLY / FILELISTONLY of every backup: the restored size plus headroom, at least `requested`. */
  stagingSize(sources: SourceSpec[], requested: number | undefined): Promise<number> {
    return this.withExec((exec) => this.build.plan(exec, sources, requested), "restore");
  }

  restore(sources: SourceSpec[], mountPath: string, reporter: Reporter): Promise<EngineInfo> {
    return this.withExec((exec) => this.build.restore(exec, sources, mountPath, reporter), "restore");
  }

  inventory(server: RunningServer): Promise<DatabaseInfo[]> {
    return this.withExec(async (exec) => (await sqlServerSchemaFacts(exec, server.databases ?? this.build.databases)).databases, "restore");
  }

  /** Principals stripped, residue scrubbed (sp_clean_db_free_space rewrites freed pages whether masked or not), then detached. */
  scrub(): Promise<void> {
    return this.withExec((exec) => this.build.scrub(exec), "restore");
  }

  copyFresh(fromMount: string, toMount: string): Promise<void> {
    return this.build.copyFresh(fromMount, toMount);
  }

  finishFresh(fresh: StagingDisk, at: FreshDiskContext): Promise<StagingDisk> {
    return this.withExec((exec) => this.build.finishFresh(exec, fresh, at), "restore");
  }

  /** The server's version: an image's databases carry no engine file of their own. */
  async describe(): Promise<EngineInfo> {
    return { kind: this.kind, version: await this.withExec(serverVersion) };
  }

  cloneEndpoint(cloneId: string): CloneEndpoint {
    const { connection } = this.host;
    return { host: connection.server, port: sqlServerPort(connection), user: `dbclone_${cloneId}` };
  }

  /** Attach every database of the mounted child under its per-clone name; a failure detaches the ones attached. */
  async start(mountPath: string, opts: StartOptions, reporter: Reporter): Promise<RunningServer> {
    // A build's restore left its databases attached under their own names: that is its server.
    if (!opts.cloneId && this.buildState?.databases.length) return this.buildServer();
    if (!opts.cloneId) throw new CloneError("a SQL Server clone is attached under its clone id, and none was given");
    const cloneId = opts.cloneId;
    const attached = await this.withExec(async (exec) => {
      const cleanup = new CleanupStack(reporter);
      try {
        const names = await attachCloneDatabases(
          { exec, runner: this.host.runner(reporter), readLayout: this.host.readLayout },
          { cloneId, mountPath, windowsCaller: windowsCaller(this.host.connection) },
          cleanup,
        );
        cleanup.dismiss();
        return Object.values(names);
      } catch (e) {
        await cleanup.unwind();
        throw e;
      }
    });
    const { host, port } = this.cloneEndpoint(cloneId);
    return { pid: 0, host, port, adminUser: "", databases: attached, cloneId };
  }

  /** Detach the clone's databases (DROP DATABASE when detach fails); a database left attached keeps its disk mounted. */
  async stop(server: RunningServer): Promise<void> {
    // Only this build's own databases are detached by their image names, never a record's.
    if (!server.cloneId && this.buildState?.databases.length) {
      if (this.build.attachedCount > 0) await this.withExec((exec) => this.build.detachAttached(exec), "restore");
      return;
    }
    if (!server.cloneId) throw new CloneError("a SQL Server clone is detached by its clone id, and none was recorded");
    const cloneId = server.cloneId;
    // A record that never got past reserve still lists the image's names: only per-clone names are ever detached.
    const names = (server.databases ?? []).map((d) => (d.endsWith(`__${cloneId}`) ? d : cloneDatabaseName(d, cloneId)));
    const { failures, stillAttached } = await this.withExec((exec) => detachCloneDatabases(exec, silentReporter, cloneId, names));
    if (stillAttached.length > 0) failures.push(stillAttachedFailure(stillAttached));
    if (failures.length > 0) throw teardownError(cloneId, failures);
  }

  async createLogin(server: RunningServer, databases: string[], opts: { user: string; password: string }): Promise<Credentials> {
    await this.withExec(async (exec) => {
      const cleanup = new CleanupStack(silentReporter);
      try {
        await createCloneLogin(exec, { login: opts.user, password: opts.password, databases }, cleanup);
        cleanup.dismiss();
      } catch (e) {
        await cleanup.unwind();
        throw e;
      }
    });
    return this.credentials({ user: opts.user, password: opts.password, host: server.host, port: server.port, databases });
  }

  async dropLogin(_server: RunningServer, user: string): Promise<void> {
    await this.withExec((exec) => exec.execute(dropLoginSql(user)));
  }

  /**
   * Fail closed on the server: every database is attached under this clone's name, online, its
   * files on this clone's own disk, and the login is a user in it. The image digest is not stored
   * in an attached database, so the clone id in names and paths is what identifies it.
   */
  async verifyIdentity(creds: Credentials, cloneId: string): Promise<void> {
    await this.withExec(async (exec) => {
      for (const db of creds.databases) {
        if (!db.endsWith(`__${cloneId}`)) throw new CloneError(`database ${db} is not attached under clone ${cloneId}'s name`);
        const check = verifyCloneSql(db, creds.user, cloneId);
        await exec.execute(check.sql, check.params);
      }
    });
  }

  credentials(login: CloneLogin, database?: string): Credentials {
    const { user, password, host, port, databases } = login;
    return { user, password, host, port, databases, connectionString: this.connectionString(login, { withPassword: true, database }) };
  }

  /** An ADO.NET-style string (Server=…;Database=…); without the password it shows Password=*** (docs/windows.md). */
  connectionString(login: CloneLogin, opts: { withPassword: boolean; database?: string }): string {
    const database = attachedName(login.databases, opts.database) ?? login.databases[0] ?? "master";
    const text = adoConnectionString(this.host.connection, login, database, login.port);
    return opts.withPassword ? text : text.replace(/Password=("(?:[^"]|"")*"|[^;]*)/, "Password=***");
  }

  private buildServer(): RunningServer {
    const { connection } = this.host;
    return { pid: 0, host: connection.server, port: sqlServerPort(connection), adminUser: "", databases: this.build.databases };
  }

  /** A build's steps run without a request timeout (RESTORE, masking and scrub of a large database take long). */
  private withExec<T>(work: (exec: SqlExecutor) => Promise<T>, purpose: "query" | "restore" = "query"): Promise<T> {
    return withSqlServer(this.host, purpose, work);
  }
}

/** The attached name of an image database the caller asked for (`Sales` → `Sales__<id>`), or the name itself. */
function attachedName(databases: readonly string[], asked: string | undefined): string | undefined {
  if (asked === undefined || databases.includes(asked)) return asked;
  return databases.find((d) => {
    const at = d.lastIndexOf("__");
    return at > 0 && cloneDatabaseName(asked, d.slice(at + 2)) === d;
  });
}
