// A clone's login as callers get it: the recorded credentials, pointed at the database they chose.
import type { Credentials } from "../engine/types.js";
import { connectionString } from "../engine/postgres/login.js";
import { UsageError } from "../errors.js";
import type { CloneRecord } from "./types.js";

export function credentialsOf(record: CloneRecord, database?: string): Credentials {
  const db = database ?? record.databases[0] ?? "postgres";
  const url = connectionString(record.user, record.password, record.host, record.port, db);
  return { user: record.user, password: record.password, host: record.host, port: record.port, databases: record.databases, connectionString: url };
}

/** Refuse a database the image does not hold, naming the ones it does (checked before anything is made). */
export function assertDatabaseChoice(database: string | undefined, databases: readonly string[], image: string): void {
  if (database === undefined || databases.includes(database)) return;
  throw new UsageError(`database '${database}' is not in ${image}; it holds: ${databases.join(", ") || "no databases"}. Choose one of those.`);
}

/** The credentials with their connection string on `database` (PostgreSQL URLs; other engines keep theirs). */
export function pointAt(credentials: Credentials, engine: CloneRecord["engine"], database: string | undefined): Credentials {
  if (database === undefined || engine !== "postgres") return credentials;
  return { ...credentials, connectionString: connectionString(credentials.user, credentials.password, credentials.host, credentials.port, database) };
}
