// Golden files under test/golden/sqlserver/: compared byte for byte; UPDATE_GOLDEN=1 rewrites them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";

const GOLDEN_DIR = path.resolve(import.meta.dirname, "../../golden/sqlserver");

export function expectGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`Golden file ${file} is missing; run UPDATE_GOLDEN=1 npx vitest run test/unit/sqlserver and review it.`);
  expect(actual, `differs from ${file} (UPDATE_GOLDEN=1 to accept)`).toBe(readFileSync(file, "utf8"));
}

/** A statement with its parameters, as DECLAREs would show them, for a readable golden file. */
export function renderStatement(s: { sql: string; params: Record<string, unknown> }): string {
  const decl = Object.entries(s.params).map(([k, v]) => `-- @${k} = ${typeof v === "string" ? `N'${v.replace(/'/g, "''")}'` : String(v)}`);
  return [...decl, s.sql, "GO", ""].join("\n");
}

/** Identifiers that break naive quoting: a bracket, a quote, spaces, non-Latin letters. */
export const NASTY_DB = "Sales ]DB' 販売 Ünïcode";
