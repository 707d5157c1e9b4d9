// Public surface of the engine area: the contract and its implementations.
export type * from "./types.js";
import { NotSupportedError } from "../errors.js";
import { PostgresEngine } from "./postgres/index.js";
import type { Engine, EngineInfo } from "./types.js";
export * from "./postgres/index.js";

/** The engine for a kind; SQL Server runs only on Windows runners (not implemented here). */
export function engineFor(kind: EngineInfo["kind"]): Engine {
  if (kind === "postgres") return new PostgresEngine();
  throw new NotSupportedError(`The ${kind} engine is not available in this build; only postgres is.`);
}
// SQL Server (engine/sqlserver) is imported directly where it is used, not re-exported here: its
// driver (mssql/tedious) would otherwise triple every Linux action bundle.
