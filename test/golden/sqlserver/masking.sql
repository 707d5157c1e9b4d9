SELECT DISTINCT CAST(t.[e-mail ]]x] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2 AS v FROM [Sales ]]DB' 販売 Ünïcode].[dbo].[Cust]]omer's tab 顧客] AS t WHERE t.[e-mail ]]x] IS NOT NULL AND (t.[note] <> N'internal');
GO

SELECT DISTINCT CAST(t.[first name] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2 AS v FROM [Sales ]]DB' 販売 Ünïcode].[dbo].[Cust]]omer's tab 顧客] AS t WHERE t.[first name] IS NOT NULL AND (t.[note] <> N'internal');
GO

SELECT DISTINCT CONVERT(nvarchar(10), t.[birth'day], 23) COLLATE Latin1_General_100_BIN2 AS v FROM [Sales ]]DB' 販売 Ünïcode].[dbo].[Cust]]omer's tab 顧客] AS t WHERE t.[birth'day] IS NOT NULL AND (t.[note] <> N'internal');
GO

SELECT DISTINCT CAST(t.[balance] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2 AS v FROM [Sales ]]DB' 販売 Ünïcode].[dbo].[Cust]]omer's tab 顧客] AS t WHERE t.[balance] IS NOT NULL AND (t.[note] <> N'internal');
GO

SELECT DISTINCT CAST(t.[e-mail ]]x] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2 AS v FROM [Sales ]]DB' 販売 Ünïcode].[dbo].[orders] AS t WHERE t.[e-mail ]]x] IS NOT NULL;
GO

-- @table = N'[dbo].[audit]'
USE [Sales ]]DB' 販売 Ünïcode];
DECLARE @sql nvarchar(max) = N'';
SELECT @sql += N'ALTER TABLE ' + QUOTENAME(SCHEMA_NAME(o.schema_id)) + N'.' + QUOTENAME(o.name) + N' DROP CONSTRAINT ' + QUOTENAME(fk.name) + N';' + NCHAR(10)
  FROM sys.foreign_keys AS fk JOIN sys.objects AS o ON o.object_id = fk.parent_object_id
  WHERE fk.referenced_object_id = OBJECT_ID(@table) AND fk.parent_object_id <> fk.referenced_object_id;
EXEC sys.sp_executesql @sql;
DROP TABLE [dbo].[audit];
USE [master];
GO

USE [Sales ]]DB' 販売 Ünïcode];
IF OBJECT_ID(N'tempdb..#dbclone_fks') IS NOT NULL DROP TABLE #dbclone_fks;
SELECT QUOTENAME(SCHEMA_NAME(o.schema_id)) + N'.' + QUOTENAME(o.name) AS tbl, QUOTENAME(fk.name) AS con
  INTO #dbclone_fks
  FROM sys.foreign_keys AS fk JOIN sys.objects AS o ON o.object_id = fk.parent_object_id
  WHERE fk.is_disabled = 0 AND o.is_ms_shipped = 0;
DECLARE @sql nvarchar(max) = N'';
SELECT @sql += N'ALTER TABLE ' + tbl + N' NOCHECK CONSTRAINT ' + con + N';' + NCHAR(10) FROM #dbclone_fks;
EXEC sys.sp_executesql @sql;
USE [master];
GO

USE [Sales ]]DB' 販売 Ünïcode];
SELECT name FROM sys.triggers WHERE parent_id = OBJECT_ID(N'[dbo].[sessions]') AND is_disabled = 0 ORDER BY name;
USE [master];
GO

USE [Sales ]]DB' 販売 Ünïcode];
DECLARE @hs sysname, @ht sysname;
SELECT @hs = SCHEMA_NAME(h.schema_id), @ht = h.name FROM sys.tables AS t JOIN sys.tables AS h ON h.object_id = t.history_table_id
  WHERE t.object_id = OBJECT_ID(N'[dbo].[sessions]') AND t.temporal_type = 2;
IF @ht IS NOT NULL ALTER TABLE [dbo].[sessions] SET (SYSTEM_VERSIONING = OFF);
SELECT @hs AS historySchema, @ht AS historyTable;
USE [master];
GO

USE [Sales ]]DB' 販売 Ünïcode];
SELECT name FROM sys.triggers WHERE parent_id = OBJECT_ID(N'[dbo].[Cust]]omer''s tab 顧客]') AND is_disabled = 0 ORDER BY name;
USE [master];
GO

USE [Sales ]]DB' 販売 Ünïcode];
DECLARE @hs sysname, @ht sysname;
SELECT @hs = SCHEMA_NAME(h.schema_id), @ht = h.name FROM sys.tables AS t JOIN sys.tables AS h ON h.object_id = t.history_table_id
  WHERE t.object_id = OBJECT_ID(N'[dbo].[Cust]]omer''s tab 顧客]') AND t.temporal_type = 2;
IF @ht IS NOT NULL ALTER TABLE [dbo].[Cust]]omer's tab 顧客] SET (SYSTEM_VERSIONING = OFF);
SELECT @hs AS historySchema, @ht AS historyTable;
USE [master];
GO

USE [Sales ]]DB' 販売 Ünïcode];
SELECT name FROM sys.triggers WHERE parent_id = OBJECT_ID(N'[dbo].[orders]') AND is_disabled = 0 ORDER BY name;
USE [master];
GO

USE [Sales ]]DB' 販売 Ünïcode];
DECLARE @hs sysname, @ht sysname;
SELECT @hs = SCHEMA_NAME(h.schema_id), @ht = h.name FROM sys.tables AS t JOIN sys.tables AS h ON h.object_id = t.history_table_id
  WHERE t.object_id = OBJECT_ID(N'[dbo].[orders]') AND t.temporal_type = 2;
IF @ht IS NOT NULL ALTER TABLE [dbo].[orders] SET (SYSTEM_VERSIONING = OFF);
SELECT @hs AS historySchema, @ht AS historyTable;
USE [master];
GO

DELETE FROM [Sales ]]DB' 販売 Ünïcode].[dbo].[sessions];
GO

IF OBJECT_ID(N'tempdb..#dbclone_map_0') IS NOT NULL DROP TABLE #dbclone_map_0;
CREATE TABLE #dbclone_map_0 (original nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL, masked nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL, h AS CAST(HASHBYTES('SHA2_256', original) AS binary(32)) PERSISTED);
GO

-- @o0 = N'ann@x.io'
-- @m0 = N'shaylee.buckridgerau.bebe7b@example.net'
-- @o1 = N'bob@y.io'
-- @m1 = N'iva.hand.005261@example.net'
-- @o2 = N'ANN@x.io'
-- @m2 = N'gretchen.grimes.e36428@example.net'
INSERT INTO #dbclone_map_0 (original, masked) VALUES (@o0, @m0), (@o1, @m1), (@o2, @m2);
GO

CREATE CLUSTERED INDEX ix_h ON #dbclone_map_0 (h);
GO

IF OBJECT_ID(N'tempdb..#dbclone_map_1') IS NOT NULL DROP TABLE #dbclone_map_1;
CREATE TABLE #dbclone_map_1 (original nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL, masked nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL, h AS CAST(HASHBYTES('SHA2_256', original) AS binary(32)) PERSISTED);
GO

-- @o0 = N'Ann'
-- @m0 = N'Payton'
-- @o1 = N'Bob'
-- @m1 = N'Caden'
INSERT INTO #dbclone_map_1 (original, masked) VALUES (@o0, @m0), (@o1, @m1);
GO

CREATE CLUSTERED INDEX ix_h ON #dbclone_map_1 (h);
GO

IF OBJECT_ID(N'tempdb..#dbclone_map_2') IS NOT NULL DROP TABLE #dbclone_map_2;
CREATE TABLE #dbclone_map_2 (original nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL, masked nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL, h AS CAST(HASHBYTES('SHA2_256', original) AS binary(32)) PERSISTED);
GO

-- @o0 = N'1990-01-31'
-- @m0 = N'-34'
-- @o1 = N'2000-02-29'
-- @m1 = N'-51'
INSERT INTO #dbclone_map_2 (original, masked) VALUES (@o0, @m0), (@o1, @m1);
GO

CREATE CLUSTERED INDEX ix_h ON #dbclone_map_2 (h);
GO

IF OBJECT_ID(N'tempdb..#dbclone_map_3') IS NOT NULL DROP TABLE #dbclone_map_3;
CREATE TABLE #dbclone_map_3 (original nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL, masked nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL, h AS CAST(HASHBYTES('SHA2_256', original) AS binary(32)) PERSISTED);
GO

-- @o0 = N'10.00'
-- @m0 = N'1.01992344'
-- @o1 = N'-3.33'
-- @m1 = N'0.95064456'
INSERT INTO #dbclone_map_3 (original, masked) VALUES (@o0, @m0), (@o1, @m1);
GO

CREATE CLUSTERED INDEX ix_h ON #dbclone_map_3 (h);
GO

-- @c0 = N'masked'
UPDATE t SET
  [e-mail ]]x] = m0.masked,
  [first name] = m1.masked,
  [birth'day] = DATEADD(day, CAST(m2.masked AS int), t.[birth'day]),
  [balance] = CAST(ROUND(t.[balance] * CAST(m3.masked AS decimal(19,8)), 2) AS decimal(10,2)),
  [note] = CASE WHEN t.[note] IS NULL THEN NULL ELSE @c0 END,
  [secret] = NULL
FROM [Sales ]]DB' 販売 Ünïcode].[dbo].[Cust]]omer's tab 顧客] AS t
LEFT JOIN #dbclone_map_0 AS m0 ON m0.h = CAST(HASHBYTES('SHA2_256', CAST(t.[e-mail ]]x] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2) AS binary(32)) AND m0.original = CAST(t.[e-mail ]]x] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2
LEFT JOIN #dbclone_map_1 AS m1 ON m1.h = CAST(HASHBYTES('SHA2_256', CAST(t.[first name] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2) AS binary(32)) AND m1.original = CAST(t.[first name] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2
LEFT JOIN #dbclone_map_2 AS m2 ON m2.h = CAST(HASHBYTES('SHA2_256', CONVERT(nvarchar(10), t.[birth'day], 23) COLLATE Latin1_General_100_BIN2) AS binary(32)) AND m2.original = CONVERT(nvarchar(10), t.[birth'day], 23) COLLATE Latin1_General_100_BIN2
LEFT JOIN #dbclone_map_3 AS m3 ON m3.h = CAST(HASHBYTES('SHA2_256', CAST(t.[balance] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2) AS binary(32)) AND m3.original = CAST(t.[balance] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2
WHERE (t.[note] <> N'internal');
SELECT @@ROWCOUNT AS n;
GO

IF OBJECT_ID(N'tempdb..#dbclone_map_0') IS NOT NULL DROP TABLE #dbclone_map_0;
GO

IF OBJECT_ID(N'tempdb..#dbclone_map_1') IS NOT NULL DROP TABLE #dbclone_map_1;
GO

IF OBJECT_ID(N'tempdb..#dbclone_map_2') IS NOT NULL DROP TABLE #dbclone_map_2;
GO

IF OBJECT_ID(N'tempdb..#dbclone_map_3') IS NOT NULL DROP TABLE #dbclone_map_3;
GO

IF OBJECT_ID(N'tempdb..#dbclone_map_4') IS NOT NULL DROP TABLE #dbclone_map_4;
CREATE TABLE #dbclone_map_4 (original nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL, masked nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL, h AS CAST(HASHBYTES('SHA2_256', original) AS binary(32)) PERSISTED);
GO

-- @o0 = N'ann@x.io'
-- @m0 = N'shaylee.buckridgerau.bebe7b@example.net'
-- @o1 = N'bob@y.io'
-- @m1 = N'iva.hand.005261@example.net'
INSERT INTO #dbclone_map_4 (original, masked) VALUES (@o0, @m0), (@o1, @m1);
GO

CREATE CLUSTERED INDEX ix_h ON #dbclone_map_4 (h);
GO

UPDATE t SET
  [e-mail ]]x] = m0.masked
FROM [Sales ]]DB' 販売 Ünïcode].[dbo].[orders] AS t
LEFT JOIN #dbclone_map_4 AS m0 ON m0.h = CAST(HASHBYTES('SHA2_256', CAST(t.[e-mail ]]x] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2) AS binary(32)) AND m0.original = CAST(t.[e-mail ]]x] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2;
SELECT @@ROWCOUNT AS n;
GO

IF OBJECT_ID(N'tempdb..#dbclone_map_4') IS NOT NULL DROP TABLE #dbclone_map_4;
GO

USE [Sales ]]DB' 販売 Ünïcode];
DECLARE @sql nvarchar(max) = N'';
SELECT @sql += N'ALTER TABLE ' + tbl + N' WITH CHECK CHECK CONSTRAINT ' + con + N';' + NCHAR(10) FROM #dbclone_fks;
EXEC sys.sp_executesql @sql;
DROP TABLE #dbclone_fks;
USE [master];
GO
