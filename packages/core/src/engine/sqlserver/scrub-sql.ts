// The scrub script for one database, GO-separated: no old value may survive in Query Store, a page,
// a ghost record, a statistics histogram, the log or free space. sp_clean_db_free_space runs last.
// Table and index names are quoted server-side with QUOTENAME, the database name here with quoteName.
import { nString, quoteName } from "./quote.js";

export function scrubScript(db: string): string {
  const q = quoteName(db);
  return `USE ${q};
GO
-- Query Store keeps query texts and plans, which can hold literal values.
IF EXISTS (SELECT 1 FROM sys.database_query_store_options WHERE actual_state <> 0)
  ALTER DATABASE CURRENT SET QUERY_STORE CLEAR ALL;
GO
-- Rebuild every heap and every index: pages are rewritten, ghost records and old row versions go.
DECLARE @sql nvarchar(max) = N'';
SELECT @sql += N'ALTER TABLE ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N' REBUILD;' + NCHAR(10)
  FROM sys.tables AS t JOIN sys.schemas AS s ON s.schema_id = t.schema_id
  WHERE t.is_ms_shipped = 0 AND OBJECTPROPERTY(t.object_id, 'TableHasClustIndex') = 0;
SELECT @sql += N'ALTER INDEX ALL ON ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N' REBUILD;' + NCHAR(10)
  FROM sys.tables AS t JOIN sys.schemas AS s ON s.schema_id = t.schema_id
  WHERE t.is_ms_shipped = 0 AND EXISTS (SELECT 1 FROM sys.indexes AS i WHERE i.object_id = t.object_id AND i.index_id > 0);
EXEC sys.sp_executesql @sql;
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
ALTER DATABASE ${q} SET RECOVERY SIMPLE WITH NO_WAIT;
GO
USE ${q};
CHECKPOINT;
GO
USE [master];
EXEC sys.sp_clean_db_free_space @dbname = ${nString(db)};
GO
`;
}
