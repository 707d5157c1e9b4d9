// Everything the SQL Server path takes from the machine it runs on: the OS, a connection to the
// server, the VHDX driver, the PowerShell runner, file copies and the image layout reader.
// Build, clone and teardown get it from sqlServerHost(); tests install fakes with useSqlServerHost.
import { VhdxDriver } from "../../disk/vhdx.js";
import type { DiskDriver } from "../../disk/types.js";
import { UsageError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { realWindowsRunner, type WindowsScriptRunner } from "../../runtime/powershell.js";
import { windowsFileOps, type FileOps } from "./file-ops.js";
import type { ConnectionPurpose, SqlServerConnection } from "./connection.js";
import type { SqlExecutor } from "./executor.js";
import { readImageLayout, type ImageLayout } from "./layout.js";

export interface SqlServerHost {
  platform: NodeJS.Platform;
  connection: SqlServerConnection;
  connect(purpose: ConnectionPurpose): Promise<SqlExecutor>;
  disk(stateDir: string, reporter: Reporter): DiskDriver;
  runner(reporter: Reporter): WindowsScriptRunner;
  files: FileOps;
  readLayout(mountPath: string): Promise<ImageLayout>;
}

const isTrue = (v: string | undefined, dflt: boolean): boolean => (v === undefined || v === "" ? dflt : /^(1|true|yes|on)$/i.test(v));

/**
 * DBCLONE_SQLSERVER: `host`, `host,port` or `host\INSTANCE` (default localhost). DBCLONE_SQLSERVER_USER
 * and _PASSWORD: a SQL login, or DOMAIN\user for Windows (NTLM) authentication. DBCLONE_SQLSERVER_ENCRYPT
 * (default true) and DBCLONE_SQLSERVER_TRUST_CERT (default false).
 */
export function sqlServerConnectionFromEnv(env: NodeJS.ProcessEnv = process.env): SqlServerConnection {
  const where = env.DBCLONE_SQLSERVER?.trim() || "localhost";
  const m = /^([^,\\]+)(?:\\([^,]+))?(?:,(\d+))?$/.exec(where);
  if (!m) throw new UsageError(`DBCLONE_SQLSERVER='${where}' is not host, host,port or host\\INSTANCE.`);
  const user = env.DBCLONE_SQLSERVER_USER;
  const password = env.DBCLONE_SQLSERVER_PASSWORD ?? "";
  if (!user) {
    throw new UsageError(
      "Set DBCLONE_SQLSERVER_USER and DBCLONE_SQLSERVER_PASSWORD: a SQL login (e.g. sa), or DOMAIN\\user for Windows authentication over NTLM. " +
        "The mssql driver cannot use the runner's own Windows identity (SSPI) without a password.",
    );
  }
  const ntlm = /^([^\\]+)\\(.+)$/.exec(user);
  return {
    server: m[1]!,
    ...(m[2] ? { instanceName: m[2] } : {}),
    ...(m[3] ? { port: Number(m[3]) } : {}),
    auth: ntlm ? { kind: "ntlm", domain: ntlm[1]!, user: ntlm[2]!, password } : { kind: "sql", user, password },
    encrypt: isTrue(env.DBCLONE_SQLSERVER_ENCRYPT, true),
    trustServerCertificate: isTrue(env.DBCLONE_SQLSERVER_TRUST_CERT, false),
  };
}

export function realSqlServerHost(env: NodeJS.ProcessEnv = process.env): SqlServerHost {
  return {
    platform: process.platform,
    // Read on use, so a missing setting is reported only after the platform check.
    get connection() {
      return sqlServerConnectionFromEnv(env);
    },
    // Loaded on use: the mssql driver is only needed once a SQL Server is really reached.
    connect: async (purpose) => (await import("./mssql-executor.js")).connectSqlServer(sqlServerConnectionFromEnv(env), purpose),
    disk: (stateDir, reporter) => new VhdxDriver({ stateDir, reporter }),
    runner: (reporter) => realWindowsRunner({ reporter }),
    files: windowsFileOps(),
    readLayout: readImageLayout,
  };
}

let installed: SqlServerHost | undefined;

/** The host in use: one installed by useSqlServerHost, else the real one from the environment. */
export function sqlServerHost(env: NodeJS.ProcessEnv = process.env): SqlServerHost {
  return installed ?? realSqlServerHost(env);
}

/** Tests (and embedders) install another host; pass undefined to go back to the real one. */
export function useSqlServerHost(host: SqlServerHost | undefined): void {
  installed = host;
}

/** One connection for one piece of work, closed after it whatever happens (a failed close is not the work's failure). */
export async function withSqlServer<T>(host: SqlServerHost, purpose: ConnectionPurpose, work: (exec: SqlExecutor) => Promise<T>): Promise<T> {
  const exec = await host.connect(purpose);
  try {
    return await work(exec);
  } finally {
    await exec.close().catch(() => undefined);
  }
}

/** An ADO.NET-style value: quoted when it holds ; = ' " or edge spaces (" doubled inside). */
const adoValue = (v: string): string => (/[;='"]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Server=host[\instance][,port];Database=…;User Id=…;Password=…;Encrypt=…;TrustServerCertificate=… */
export function adoConnectionString(c: SqlServerConnection, login: { user: string; password: string }, database: string, port: number): string {
  const server = `${c.server}${c.instanceName ? `\\${c.instanceName}` : ""}${c.instanceName && !c.port ? "" : `,${port}`}`;
  return [
    `Server=${adoValue(server)}`,
    `Database=${adoValue(database)}`,
    `User Id=${adoValue(login.user)}`,
    `Password=${adoValue(login.password)}`,
    `Encrypt=${(c.encrypt ?? true) ? "True" : "False"}`,
    `TrustServerCertificate=${c.trustServerCertificate ? "True" : "False"}`,
  ].join(";");
}

export const sqlServerPort = (c: SqlServerConnection): number => c.port ?? 1433;

/** DOMAIN\user when dbclone signs in with Windows authentication (attach then opens files as them). */
export const windowsCaller = (c: SqlServerConnection): string | undefined => (c.auth.kind === "ntlm" ? `${c.auth.domain}\\${c.auth.user}` : undefined);
