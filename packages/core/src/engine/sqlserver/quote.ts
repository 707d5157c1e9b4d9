// The only two ways a name or a string reaches generated T-SQL. Values go as parameters wherever
// T-SQL accepts a variable; these cover the places it does not (CREATE DATABASE, CREATE LOGIN, USE).
import { UsageError } from "../../errors.js";

/** A delimited identifier: [name] with every ] doubled. Same rule as QUOTENAME, without its 128-char NULL. */
export function quoteName(name: string): string {
  if (name.length === 0) throw new UsageError("An empty SQL Server identifier is not allowed.");
  if (name.length > 128) throw new UsageError(`SQL Server identifiers hold at most 128 characters: ${name.slice(0, 40)}… has ${name.length}.`);
  if (name.includes("\0")) throw new UsageError(`A SQL Server identifier may not hold a NUL character: ${JSON.stringify(name)}.`);
  return `[${name.replace(/]/g, "]]")}]`;
}

/** A Unicode string literal: N'text' with every ' doubled. */
export function nString(value: string): string {
  if (value.includes("\0")) throw new UsageError(`A T-SQL string literal may not hold a NUL character: ${JSON.stringify(value)}.`);
  return `N'${value.replace(/'/g, "''")}'`;
}
