// Public surface of the SQL Server engine (Windows). engine/index.ts re-exports it.
export { quoteName, nString } from "./quote.js";
export { splitBatches, type Batch } from "./batches.js";
export { executeScript, firstRow, type ExecuteOptions, type InfoMessage, type Row, type SqlExecutor, type SqlValue } from "./executor.js";
export { connectSqlServer } from "./mssql-executor.js";
export { toMssqlConfig, describeConnection, type SqlServerAuth, type SqlServerConnection } from "./connection.js";
export { parseBackupHeader, validateBackupChain, type BackupChain, type BackupHeader, type BackupKind } from "./backup-chain.js";
export { planChains, type BackupChainSource } from "./restore-plan.js";
export { SqlServerEngine } from "./engine.js";
export { SqlServerBuildEngine } from "./build-engine.js";
export { windowsFileOps, type FileOps } from "./file-ops.js";
export {
  cloneSqlServer,
  teardownSqlServer,
  cloneDatabaseName,
  randomPassword,
  type CloneSqlServerOptions,
  type SqlServerCloneDeps,
  type SqlServerCloneRecord,
} from "./clone.js";
export { DEFAULT_CLONE_ROLES } from "./login-sql.js";
export { readImageLayout, LAYOUT_FILE, type ImageLayout } from "./layout.js";
export { maskSqlServer, type SqlServerMaskingOptions } from "./masking.js";
export { sqlServerSchemaFacts } from "./schema-facts.js";
export { tableUpdateStatement, distinctValuesSql, textForm } from "./masking-sql.js";
