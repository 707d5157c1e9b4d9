// Per-clone access: a SQL login with a random password and only the database roles allowed,
// and the service account SQL Server runs as (it needs NTFS rights on the clone's files).
import { UsageError } from "../../errors.js";
import { nString, quoteName } from "./quote.js";
import type { Statement } from "./restore-sql.js";

export const DEFAULT_CLONE_ROLES = ["db_datareader", "db_datawriter", "db_ddladmin"] as const;

/** Roles a clone login may be given: fixed database roles except db_owner/db_securityadmin/db_accessadmin. */
const ALLOWED_ROLES = new Set(["db_datareader", "db_datawriter", "db_ddladmin", "db_backupoperator", "db_denydatareader", "db_denydatawriter"]);

export function checkRoles(roles: readonly string[]): void {
  for (const r of roles) {
    if (!ALLOWED_ROLES.has(r)) {
      throw new UsageError(
        `Role '${r}' may not be given to a clone login; allowed: ${[...ALLOWED_ROLES].join(", ")}. db_owner would let a clone user change security.`,
      );
    }
  }
}

/** The engine's logon account, and the instance name (NULL on a default instance) for its service SID. */
export const SERVICE_ACCOUNT: Statement = {
  sql:
    "SELECT TOP (1) service_account AS account, CAST(SERVERPROPERTY('InstanceName') AS nvarchar(128)) AS instance " +
    "FROM sys.dm_server_services WHERE servicename LIKE N'SQL Server (%' ORDER BY servicename;",
  params: {},
};

/** CREATE LOGIN takes no variables: the password goes as an N'' literal (registered as a secret). */
export function createLoginSql(login: string, password: string, defaultDatabase: string): string {
  return `CREATE LOGIN ${quoteName(login)} WITH PASSWORD = ${nString(password)}, CHECK_POLICY = OFF, CHECK_EXPIRATION = OFF, DEFAULT_DATABASE = ${quoteName(defaultDatabase)};`;
}

/**
 * The fixed roles grant no EXECUTE: without it a clone user cannot call the application's stored
 * procedures or scalar functions, so it is granted on the database (not WITH GRANT OPTION).
 */
export function createUserSql(db: string, login: string, roles: readonly string[]): string {
  checkRoles(roles);
  return [
    `USE ${quoteName(db)};`,
    `CREATE USER ${quoteName(login)} FOR LOGIN ${quoteName(login)};`,
    ...roles.map((r) => `ALTER ROLE ${quoteName(r)} ADD MEMBER ${quoteName(login)};`),
    `GRANT EXECUTE TO ${quoteName(login)};`,
    "USE [master];",
  ].join("\n");
}

/** Contained databases attach only with this server option on (Msg 12824). */
export const CONTAINED_AUTH_ENABLED: Statement = {
  sql: "SELECT CAST(value_in_use AS int) AS enabled FROM sys.configurations WHERE name = N'contained database authentication';",
  params: {},
};

/** Sessions of the login are ended first: DROP LOGIN fails while it is logged in. */
export function dropLoginSql(login: string): string {
  return [
    "DECLARE @kill nvarchar(max) = N'';",
    `SELECT @kill += N'KILL ' + CAST(session_id AS nvarchar(10)) + N';' FROM sys.dm_exec_sessions WHERE login_name = ${nString(login)};`,
    "EXEC sys.sp_executesql @kill;",
    `IF SUSER_ID(${nString(login)}) IS NOT NULL DROP LOGIN ${quoteName(login)};`,
  ].join("\n");
}
