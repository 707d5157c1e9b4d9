// SQL Server behind the clone contract: its clones are databases attached to the runner's SQL
// Server service, so start = attach the databases on the mounted child VHDX as <db>__<id>, stop =
// detach them, and the login is a server login dropped with the clone. The host (connection
// settings, VHDX driver, runner) is injected; tests pass the fake one. Its build half is
// SqlServerBuildEngine (build-engine.ts), kept apart so that clone bundles do not carry it.
import { CloneError } from "../../errors.js";
import { silentReporter, type Reporter } from "../../reporter.js";
import { CleanupStack } from "../../util/cleanup.js";
import type { CloneEndpoint, CloneEngine, CloneLogin, Credentials, RunningServer, StartOptions } from "../types.js";
import { attachCloneDatabases, cloneDatabaseName, createCloneLogin, detachCloneDatabases, stillAttachedFailure, teardownError } from "./clone.js";
import type { SqlExecutor } from "./executor.js";
import { adoConnectionString, sqlServerHost, sqlServerPort, windowsCaller, withSqlServer, type SqlServerHost } from "./host.js";
import { dropLoginSql } from "./login-sql.js";
import { verifyCloneSql } from "./verify-sql.js";

export class SqlServerEngine implements CloneEngine {
  readonly kind = "sqlserver" as const;

  constructor(protected readonly host: SqlServerHost = sqlServerHost()) {}

  cloneEndpoint(cloneId: string): CloneEndpoint {
    const { connection } = this.host;
    return { host: connection.server, port: sqlServerPort(connection), user: `dbclone_${cloneId}` };
  }

  /** Attach every database of the mounted child under its per-clone name; a failure detaches the ones attached. */
  async start(mountPath: string, opts: StartOptions, reporter: Reporter): Promise<RunningServer> {
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

  /** `restore`: no request timeout (a build's RESTORE, masking and scrub of a large database take long). */
  protected withExec<T>(work: (exec: SqlExecutor) => Promise<T>, purpose: "query" | "restore" = "query"): Promise<T> {
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
