// The real SqlExecutor over the mssql package. One connection (pool of 1) so session state such as
// USE carries from batch to batch; each batch is its own request, never wrapped in a transaction.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type * as Mssql from "mssql";
import { CommandError, NotSupportedError } from "../../errors.js";
import { toMssqlConfig, describeConnection, type ConnectionPurpose, type SqlServerConnection } from "./connection.js";
import type { ExecuteOptions, Row, SqlExecutor, SqlValue } from "./executor.js";

/**
 * mssql (tedious, Azure identity…) would triple every bundle, and only Windows SQL Server runs need
 * it: the module name is a variable, so esbuild leaves it out. Node resolves it from node_modules
 * (a checkout after npm ci), else from dist/mssql/index.cjs beside the running bundle (the
 * published actions and CLI, which have no node_modules).
 */
async function loadMssql(): Promise<typeof Mssql> {
  const name = "mssql";
  try {
    // require, not import(): the CLI runs its bundle through vm.Script (its code cache), where import() is unavailable.
    const m = createRequire(import.meta.url)(name) as typeof Mssql & { default?: typeof Mssql };
    return m.default ?? m;
  } catch (first) {
    const beside = fileURLToPath(new URL("../mssql/index.cjs", import.meta.url));
    try {
      const m = createRequire(import.meta.url)(beside) as typeof Mssql & { default?: typeof Mssql };
      return m.default ?? m;
    } catch {
      throw new NotSupportedError(
        `The SQL Server driver (npm package mssql) could not be loaded: ${(first as Error).message}, and ${beside} is missing. ` +
          "Use the published actions or CLI (dist/ holds the driver), or npm ci in a checkout.",
      );
    }
  }
}

export async function connectSqlServer(c: SqlServerConnection, purpose: ConnectionPurpose): Promise<SqlExecutor> {
  const sql = await loadMssql();
  const pool = new sql.ConnectionPool(toMssqlConfig(c, purpose));
  try {
    await pool.connect();
  } catch (e) {
    throw new CommandError(
      `Could not connect to SQL Server as ${describeConnection(c)}: ${(e as Error).message}. Check the server name, port or instance, the login, and encrypt/trustServerCertificate.`,
      "mssql connect",
      null,
      String((e as Error).message),
    );
  }
  return {
    async execute(batch: string, params: Record<string, SqlValue> = {}, opts: ExecuteOptions = {}): Promise<Row[][]> {
      const request = new sql.Request(pool);
      for (const [name, value] of Object.entries(params)) {
        if (typeof value === "string") request.input(name, sql.NVarChar(sql.MAX), value);
        else if (typeof value === "number" && Number.isInteger(value)) request.input(name, sql.BigInt, value);
        else request.input(name, value);
      }
      const onInfo = opts.onInfo;
      if (onInfo) request.on("info", (m: { number: number; message: string }) => onInfo({ number: m.number, message: m.message }));
      const result = await request.query(batch);
      return (result.recordsets as unknown as Row[][]) ?? [];
    },
    close: () => pool.close(),
  };
}
