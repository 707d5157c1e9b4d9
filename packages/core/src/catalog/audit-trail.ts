// The audit trail as the catalog shows it: every line of the log (even ones that no longer parse)
// with its line number, and the chain's own verification saying up to which line it holds.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
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
  const verification = await log.verify();
  const { ok: _ok, events: _events, problem: _problem, ...extras } = verification as AuditVerifyResult & Record<string, unknown>;
  const brokenLine = verification.ok ? Infinity : (verification.problem?.line ?? verification.events + 1);
  const rows: AuditRow[] = [];
  let line = 0;
  for await (const text of readLines(log.filePath)) {
    line++;
    if (text.trim() === "" && line !== brokenLine) continue;
    const status: AuditLineStatus = line < brokenLine ? "verified" : line === brokenLine ? "breaks" : "unverified";
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

async function* readLines(file: string): AsyncGenerator<string> {
  const input = createReadStream(file, "utf8");
  const opened = await new Promise<boolean>((resolve, reject) => {
    input.once("open", () => resolve(true));
    input.once("error", (e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? resolve(false) : reject(e)));
  });
  if (!opened) return;
  yield* createInterface({ input, crlfDelay: Infinity });
}
