// Forgers for the catalog's audit tests: rewrite a chain's events and recompute every hash after
// the edit (what someone who can rewrite the log and its head would do), so the chain alone
// verifies and only an anchor taken before can tell.
import { hashEvent, type AuditEvent } from "../../../packages/core/src/audit/index.js";

/** The events of `lines` with `edit` applied to the one at `seq`, every hash recomputed. */
export function rewriteWithRecomputedHashes(lines: string[], seq: number, edit: (e: AuditEvent) => AuditEvent): AuditEvent[] {
  const events = lines.filter(Boolean).map((l) => JSON.parse(l) as AuditEvent);
  let prevHash = events[0]!.prevHash;
  return events.map((e) => {
    const { hash: _h, mac: _m, ...body } = { ...(e.seq === seq ? edit(e) : e), prevHash };
    const hash = hashEvent(body);
    prevHash = hash;
    return { ...body, hash };
  });
}

export const jsonl = (events: AuditEvent[]): string => events.map((e) => `${JSON.stringify(e)}\n`).join("");
