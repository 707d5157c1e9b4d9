// Pure helpers over a clone's registry record: its login as callers get it (pointed at the database
// they chose), its server, and where its files live.
import path from "node:path";
import type { Credentials, RunningServer } from "../engine/types.js";
import { UsageError } from "../errors.js";
import { engineConnection } from "../platform/index.js";
import type { CloneRecord } from "./types.js";

/** The clone's login as its engine spells it, pointed at `database` (default: the first). */
export function credentialsOf(record: CloneRecord, database?: string): Credentials {
  return engineConnection(record.engine).credentials(record, database);
}

/** The clone's connection string; without the password for display. */
export function connectionStringOf(record: CloneRecord, opts: { withPassword: boolean; database?: string }): string {
  return engineConnection(record.engine).connectionString(record, opts);
}

/** Refuse a database the image does not hold, naming the ones it does (checked before anything is made). */
export function assertDatabaseChoice(database: string | undefined, databases: readonly string[], image: string): void {
  if (database === undefined || databases.includes(database)) return;
  throw new UsageError(`database '${database}' is not in ${image}; it holds: ${databases.join(", ") || "no databases"}. Choose one of those.`);
}

/** The clone's host server process as teardown and promote address it (undefined: none recorded). */
export function serverOf(record: CloneRecord): RunningServer | undefined {
  if (!record.serverPid) return undefined;
  return { pid: record.serverPid, host: record.host, port: record.port, socketDir: path.join(record.dir, "run"), adminUser: "" };
}

/** A clone on a shared server (SQL Server) as teardown addresses it: the databases it attached, by the clone's id. */
export function sharedServerOf(record: CloneRecord): RunningServer {
  return { pid: 0, host: record.host, port: record.port, adminUser: "", databases: record.databases, cloneId: record.id };
}
