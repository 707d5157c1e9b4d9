// Which audit events a reader asked for (dbclone audit --image …, the catalog).
import type { AuditEvent, AuditEventInput } from "./chain.js";

export interface AuditFilter {
  action?: AuditEventInput["action"];
  outcome?: AuditEventInput["outcome"];
  actor?: string;
  /** Exact `name:version`, or a bare name matching all its versions. */
  image?: string;
  /** ISO time: only events at or after it. */
  since?: string;
}

export function matches(e: AuditEvent, f: AuditFilter): boolean {
  if (f.action && e.action !== f.action) return false;
  if (f.outcome && e.outcome !== f.outcome) return false;
  if (f.actor && e.actor !== f.actor) return false;
  if (f.since && e.time < f.since) return false;
  if (f.image && e.image !== f.image && !(e.image ?? "").startsWith(`${f.image}:`)) return false;
  return true;
}
