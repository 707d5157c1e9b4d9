CREATE DATABASE [Sales ]]DB' 販売 Ünïcode] ON
  (NAME = N'Sales]Data', FILENAME = N'C:\m\databases\0-x\f1-Sales]Data.mdf')
FOR ATTACH_REBUILD_LOG;
GO
CREATE DATABASE [Sales ]]DB' 販売 Ünïcode__c-1] ON
  (NAME = N'Sales]Data', FILENAME = N'C:\m\databases\0-x\f1-Sales]Data.mdf'),
  (NAME = N'Sales''Log', FILENAME = N'C:\m\O''Brien\f2.ldf')
FOR ATTACH WITH NEW_BROKER;
GO
-- @db = N'Sales ]DB'' 販売 Ünïcode'
USE [master];
IF DB_ID(@db) IS NOT NULL BEGIN ALTER DATABASE [Sales ]]DB' 販売 Ünïcode] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; END;
GO

GO
-- @db = N'Sales ]DB'' 販売 Ünïcode'
IF DB_ID(@db) IS NOT NULL EXEC master.sys.sp_detach_db @dbname = @db, @skipchecks = N'true';
GO

GO
CREATE LOGIN [dbclone_c-1] WITH PASSWORD = N'p''w]d', CHECK_POLICY = OFF, CHECK_EXPIRATION = OFF, DEFAULT_DATABASE = [Sales ]]DB' 販売 Ünïcode];
GO
USE [Sales ]]DB' 販売 Ünïcode];
CREATE USER [dbclone_c-1] FOR LOGIN [dbclone_c-1];
ALTER ROLE [db_datareader] ADD MEMBER [dbclone_c-1];
ALTER ROLE [db_datawriter] ADD MEMBER [dbclone_c-1];
ALTER ROLE [db_ddladmin] ADD MEMBER [dbclone_c-1];
GRANT EXECUTE TO [dbclone_c-1];
USE [master];
GO
DECLARE @kill nvarchar(max) = N'';
SELECT @kill += N'KILL ' + CAST(session_id AS nvarchar(10)) + N';' FROM sys.dm_exec_sessions WHERE login_name = N'dbclone_c-1''x';
EXEC sys.sp_executesql @kill;
IF SUSER_ID(N'dbclone_c-1''x') IS NOT NULL DROP LOGIN [dbclone_c-1'x];
