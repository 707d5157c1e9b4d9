// How to reach SQL Server: SQL authentication or NTLM, with the TLS choices spelled out.
// Restores get no request timeout (a large RESTORE runs for hours); other work gets one.
import type { config as MssqlConfig } from "mssql";

export type SqlServerAuth = { kind: "sql"; user: string; password: string } | { kind: "ntlm"; domain: string; user: string; password: string };

export interface SqlServerConnection {
  server: string;
  port?: number;
  /** Named instance, e.g. SQLEXPRESS (resolved through SQL Browser when no port is given). */
  instanceName?: string;
  auth: SqlServerAuth;
  /** Default true. */
  encrypt?: boolean;
  /** Accept a self-signed server certificate (typical for a local Express / Developer install). */
  trustServerCertificate?: boolean;
  database?: string;
}

export type ConnectionPurpose = "restore" | "query";

export function toMssqlConfig(c: SqlServerConnection, purpose: ConnectionPurpose): MssqlConfig {
  const base: MssqlConfig = {
    server: c.server,
    port: c.port,
    database: c.database ?? "master",
    // 0: no timeout. RESTORE, CHECKPOINT and index rebuilds of big databases run long.
    requestTimeout: purpose === "restore" ? 0 : 120_000,
    connectionTimeout: 30_000,
    pool: { max: 1, min: 0 },
    options: {
      encrypt: c.encrypt ?? true,
      trustServerCertificate: c.trustServerCertificate ?? false,
      instanceName: c.instanceName,
      appName: "dbclone",
    },
  };
  if (c.auth.kind === "sql") return { ...base, user: c.auth.user, password: c.auth.password };
  return {
    ...base,
    authentication: { type: "ntlm", options: { domain: c.auth.domain, userName: c.auth.user, password: c.auth.password } },
  };
}

/** Connection details with the password replaced, safe for a log or a manifest. */
export function describeConnection(c: SqlServerConnection): string {
  const where = c.instanceName ? `${c.server}\\${c.instanceName}` : `${c.server}${c.port ? `,${c.port}` : ""}`;
  const who = c.auth.kind === "sql" ? c.auth.user : `${c.auth.domain}\\${c.auth.user} (NTLM)`;
  return `${who}@${where}`;
}
