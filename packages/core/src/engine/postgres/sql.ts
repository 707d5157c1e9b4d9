// SQL text helpers for PostgreSQL. Identifiers go through quoteIdent; values always travel as
// query parameters (or through the server's own format(%I, %L) when a statement cannot take them).

/** Quote an identifier the way PostgreSQL's quote_ident does, always (never relies on case folding). */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new Error("An SQL identifier cannot be empty.");
  if (name.includes("\u0000")) throw new Error("An SQL identifier cannot contain a NUL character.");
  return `"${name.replace(/"/g, '""')}"`;
}

/** schema.name, each part quoted. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Schemas that belong to PostgreSQL itself, never to the user's data. */
export const SYSTEM_SCHEMA_FILTER = `nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'`;
