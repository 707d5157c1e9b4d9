// The seam between the engine and SQL Server: one batch in, its recordsets out. The real one runs
// over mssql (mssql-executor.ts); tests use a fake that records every batch and scripts results.
import { splitBatches } from "./batches.js";

export type SqlValue = string | number | boolean | null;
export type Row = Record<string, unknown>;

export interface InfoMessage {
  /** SQL Server message number, e.g. 3211 for RESTORE ... STATS progress. */
  number: number;
  message: string;
}

export interface ExecuteOptions {
  /** Informational messages (PRINT, RESTORE STATS) as they arrive. */
  onInfo?: (m: InfoMessage) => void;
}

export interface SqlExecutor {
  /** Run one batch (no GO inside) with named parameters (@name); resolves with every recordset. */
  execute(batch: string, params?: Record<string, SqlValue>, opts?: ExecuteOptions): Promise<Row[][]>;
  close(): Promise<void>;
}

/** Run a multi-batch script: split on GO client-side, each batch as its own request (no transaction). */
export async function executeScript(exec: SqlExecutor, script: string, opts?: ExecuteOptions): Promise<void> {
  for (const b of splitBatches(script)) for (let i = 0; i < b.repeat; i++) await exec.execute(b.sql, {}, opts);
}

/** The first row of the first recordset, or undefined. */
export const firstRow = (sets: Row[][]): Row | undefined => sets[0]?.[0];
