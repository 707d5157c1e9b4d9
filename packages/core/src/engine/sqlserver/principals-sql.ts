// Production principals do not travel into images. Database users are mapped to logins by SID, so a
// production Windows user or SQL login that also exists on the clone's server would walk into every
// clone, bypassing the image's access list; contained users carry their password hashes with them.
// Every user with a way in (a login, a Windows account, a contained password, Entra ID) is dropped,
// schemas and roles it owns go to dbo, the database is owned by the server's sa, guest loses CONNECT.
// Users without login and certificate/key users (module signing) stay: nobody can log in as them.
import { quoteName } from "./quote.js";

/** S SQL user, U/G Windows user/group, E/X external; authentication_type 0 = no login. 1-4 are dbo, guest, INFORMATION_SCHEMA, sys. */
const HAS_A_WAY_IN = "p.type IN ('S', 'U', 'G', 'E', 'X') AND p.principal_id > 4 AND p.authentication_type <> 0";

export function stripPrincipalsSql(db: string): string {
  return `USE ${quoteName(db)};
DECLARE @sql nvarchar(max) = N'';
SELECT @sql += N'ALTER AUTHORIZATION ON SCHEMA::' + QUOTENAME(s.name) + N' TO [dbo];' + NCHAR(10)
  FROM sys.schemas AS s JOIN sys.database_principals AS p ON p.principal_id = s.principal_id WHERE ${HAS_A_WAY_IN};
SELECT @sql += N'ALTER AUTHORIZATION ON ROLE::' + QUOTENAME(r.name) + N' TO [dbo];' + NCHAR(10)
  FROM sys.database_principals AS r JOIN sys.database_principals AS p ON p.principal_id = r.owning_principal_id WHERE r.type = 'R' AND ${HAS_A_WAY_IN};
SELECT @sql += N'DROP USER ' + QUOTENAME(p.name) + N';' + NCHAR(10) FROM sys.database_principals AS p WHERE ${HAS_A_WAY_IN};
SET @sql += N'REVOKE CONNECT FROM [guest];' + NCHAR(10);
SET @sql += N'ALTER AUTHORIZATION ON DATABASE::' + QUOTENAME(DB_NAME()) + N' TO ' + QUOTENAME(SUSER_SNAME(0x01)) + N';' + NCHAR(10);
EXEC sys.sp_executesql @sql;
SELECT containment AS containment FROM sys.databases WHERE database_id = DB_ID();
USE [master];`;
}
