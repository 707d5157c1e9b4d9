USE [Sales ]]DB' 販売 Ünïcode];
GO
-- Query Store keeps query texts and plans, which can hold literal values.
IF EXISTS (SELECT 1 FROM sys.database_query_store_options WHERE actual_state <> 0)
  ALTER DATABASE CURRENT SET QUERY_STORE CLEAR ALL;
GO
-- Change tracking side tables keep the primary keys of changed rows, CDC tables whole old rows:
-- both are switched off (tables first: the database setting cannot go while a table uses it).
DECLARE @sql nvarchar(max) = N'';
SELECT @sql += N'ALTER TABLE ' + QUOTENAME(SCHEMA_NAME(t.schema_id)) + N'.' + QUOTENAME(t.name) + N' DISABLE CHANGE_TRACKING;' + NCHAR(10)
  FROM sys.change_tracking_tables AS ct JOIN sys.tables AS t ON t.object_id = ct.object_id;
IF EXISTS (SELECT 1 FROM sys.change_tracking_databases WHERE database_id = DB_ID())
  SET @sql += N'ALTER DATABASE CURRENT SET CHANGE_TRACKING = OFF;' + NCHAR(10);
IF EXISTS (SELECT 1 FROM sys.databases WHERE database_id = DB_ID() AND is_cdc_enabled = 1)
  SET @sql += N'EXEC sys.sp_cdc_disable_db;' + NCHAR(10);
EXEC sys.sp_executesql @sql;
GO
-- Rebuild every heap and every index: pages are rewritten, ghost records and old row versions go.
-- Memory-optimized tables cannot be rebuilt (Msg 10794); their rows live in checkpoint files that
-- the checkpoint below and the leak scan of the sealed disk cover.
DECLARE @sql nvarchar(max) = N'';
SELECT @sql += N'ALTER TABLE ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N' REBUILD;' + NCHAR(10)
  FROM sys.tables AS t JOIN sys.schemas AS s ON s.schema_id = t.schema_id
  WHERE t.is_ms_shipped = 0 AND t.is_memory_optimized = 0 AND OBJECTPROPERTY(t.object_id, 'TableHasClustIndex') = 0;
SELECT @sql += N'ALTER INDEX ALL ON ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N' REBUILD;' + NCHAR(10)
  FROM sys.tables AS t JOIN sys.schemas AS s ON s.schema_id = t.schema_id
  WHERE t.is_ms_shipped = 0 AND t.is_memory_optimized = 0 AND EXISTS (SELECT 1 FROM sys.indexes AS i WHERE i.object_id = t.object_id AND i.index_id > 0);
EXEC sys.sp_executesql @sql;
GO
-- Full-text indexes hold the words of the old values: rebuild every catalog from today's data and
-- wait until population is done (PopulateStatus 0 = idle), at most an hour.
DECLARE @sql nvarchar(max) = N'';
SELECT @sql += N'ALTER FULLTEXT CATALOG ' + QUOTENAME(name) + N' REBUILD;' + NCHAR(10) FROM sys.fulltext_catalogs;
EXEC sys.sp_executesql @sql;
DECLARE @waited int = 0;
WHILE EXISTS (SELECT 1 FROM sys.fulltext_catalogs WHERE FULLTEXTCATALOGPROPERTY(name, 'PopulateStatus') <> 0)
BEGIN
  IF @waited >= 1800 THROW 50001, N'Full-text population did not finish within an hour; the image would keep old words.', 1;
  WAITFOR DELAY '00:00:02';
  SET @waited += 1;
END;
GO
-- Histograms hold sampled values: drop auto-created statistics, recompute the rest on today's data.
DECLARE @sql nvarchar(max) = N'';
SELECT @sql += N'DROP STATISTICS ' + QUOTENAME(s.name) + N'.' + QUOTENAME(o.name) + N'.' + QUOTENAME(st.name) + N';' + NCHAR(10)
  FROM sys.stats AS st JOIN sys.objects AS o ON o.object_id = st.object_id JOIN sys.schemas AS s ON s.schema_id = o.schema_id
  WHERE st.auto_created = 1 AND o.is_ms_shipped = 0;
EXEC sys.sp_executesql @sql;
SET @sql = N'';
SELECT @sql += N'UPDATE STATISTICS ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N' WITH FULLSCAN;' + NCHAR(10)
  FROM sys.tables AS t JOIN sys.schemas AS s ON s.schema_id = t.schema_id WHERE t.is_ms_shipped = 0;
EXEC sys.sp_executesql @sql;
GO
USE [master];
ALTER DATABASE [Sales ]]DB' 販売 Ünïcode] SET RECOVERY SIMPLE WITH NO_WAIT;
GO
USE [Sales ]]DB' 販売 Ünïcode];
CHECKPOINT;
GO
-- Replaced FILESTREAM blobs stay in the container until garbage collection, which needs a
-- checkpoint first and may take more than one pass (sp_filestream_force_garbage_collection docs).
IF EXISTS (SELECT 1 FROM sys.database_files WHERE type = 2)
BEGIN
  EXEC sys.sp_filestream_force_garbage_collection @dbname = N'Sales ]DB'' 販売 Ünïcode';
  CHECKPOINT;
  EXEC sys.sp_filestream_force_garbage_collection @dbname = N'Sales ]DB'' 販売 Ünïcode';
END;
GO
-- Accelerated database recovery (2019+) keeps row versions in the persistent version store.
IF COL_LENGTH(N'sys.databases', N'is_accelerated_database_recovery_on') IS NOT NULL
  EXEC sys.sp_executesql N'IF EXISTS (SELECT 1 FROM sys.databases WHERE database_id = DB_ID() AND is_accelerated_database_recovery_on = 1)
    EXEC sys.sp_persistent_version_cleanup @dbname = @db;', N'@db sysname', @db = N'Sales ]DB'' 販売 Ünïcode';
GO
USE [master];
EXEC sys.sp_clean_db_free_space @dbname = N'Sales ]DB'' 販売 Ünïcode';
GO
