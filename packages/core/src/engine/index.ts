// Public surface of the engine area: the contract and its implementations. Which engine serves
// which image is platform/'s choice (platform/registry.ts), not this area's.
export type * from "./types.js";
export * from "./postgres/index.js";
// SQL Server (engine/sqlserver) is imported directly where it is used, not re-exported here: its
// driver (mssql/tedious) would otherwise triple every Linux action bundle.
