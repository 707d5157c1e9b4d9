// The audit trail as the catalog shows it: every line of the log (even ones that no longer parse)
// with its line number, and the chain's own verification saying up to which line it holds.
import { readFile } from "node:fs/promises";
import type { AuditEvent, AuditLog, AuditVerifyResult } from "../audit/index.js";

export type AuditLineStatus = "verified" | "breaks" | "unverified";

export interface AuditRow {
  /** 1-based line of the log file. */
  line: number;
  /** The event as written; undefined when the line is not a JSON object. */
  event?: Partial<AuditEvent>;
  status: AuditLineStatus;
}

export interface AuditTrail {
  rows: AuditRow[];
  verification: AuditVerifyResult;
  /** Fields a newer verification adds (an anchor, a repaired tail), shown as they come. */
  verificationExtras: Record<string, unknown>;
}

export async function readAuditTrail(log: AuditLog): Promise<AuditTrail> {
  // The chain's own verification is the authority on where it breaks; the lines are read beside it.
  const [verification, lines] = await Promise.all([log.verify(), readLines(log.filePath)]);
  const { ok: _ok, events: _events, problem: _problem, ...extras } = verification as AuditVerifyResult & Record<string, unknown>;
  const brokenLine = verification.ok ? Infinity : (verification.problem?.line ?? verification.events + 1);
  // Lines appended after the verification ran are shown, but not as verified.
  const verifiedUpTo = verification.ok ? verification.events : brokenLine - 1;
  const rows: AuditRow[] = [];
  let line = 0;
  for (const text of lines) {
    line++;
    if (text.trim() === "" && line !== brokenLine) continue;
    const status: AuditLineStatus = line <= verifiedUpTo ? "verified" : line === brokenLine ? "breaks" : "unverified";
    rows.push({ line, status, ...eventOf(text) });
  }
  return { rows, verification, verificationExtras: extras };
}

function eventOf(text: string): { event?: Partial<AuditEvent> } {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? { event: value as Partial<AuditEvent> } : {};
  } catch {
    return {};
  }
}

/** The log's lines (a missing log has none); a final newline does not make an extra line. */
async function readLines(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}
