// The SQL Server driver on its own, bundled as dist/mssql/index.cjs: the action and CLI bundles
// leave mssql/tedious out (they would triple every Linux bundle) and load this file beside them
// when no node_modules provides mssql, so the published actions reach SQL Server without npm ci.
export * from "mssql";
export { default } from "mssql";
