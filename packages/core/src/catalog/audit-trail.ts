// The audit trail as the catalog shows it: one or more chains (the repository's log; with an OCI
// repository every runner's chain read from the registry), every line of each (even ones that no
// longer parse) with its line number and status, each chain checked on its own and against its
// newest anchor, so a log rewritten with a recomputed head is flagged where the anchor disagrees.
import type { AuditEvent } from "../audit/index.js";
import { checkAnchors, type AnchorView, type FoundAnchor } from "./audit-anchors.js";

export type AuditLineStatus = "verified" | "breaks" | "unverified";

export interface AuditRow {
  /** Which chain the line belongs to (AuditChain.id). */
  chain: string;
  /** 1-based line of the chain (of the log file, or of the runner's segments in order). */
  line: number;
  /** The event as written; undefined when the line is not a JSON object. */
  event?: Partial<AuditEvent>;
  status: AuditLineStatus;
}

export interface AuditChain {
  /** "local" for the repository's log, else the runner id. */
  id: string;
  /** "Audit log" or "Runner <id>". */
  label: string;
  /** Where it was read: the log file, or the registry artifacts. */
  source: string;
  ok: boolean;
  /** Events verified, counted from the first (0 when an anchor contradicts the chain). */
  verifiedEvents: number;
  /** Events in the chain as read. */
  events: number;
  /** The exact line where the chain (or the anchor) says it breaks. */
  problem?: { line: number; reason: string };
  /** The newest anchor that holds, or the one that contradicts the chain. */
  anchor?: AnchorView;
  /** Torn tails the chain records as repaired. */
  repairs: number;
}

export interface AuditTrail {
  /** Every chain verifies and no anchor contradicts one. */
  ok: boolean;
  chains: AuditChain[];
  rows: AuditRow[];
}

/** What the chain's own verification said: the authority on where it breaks. */
export interface ChainCheck {
  ok: boolean;
  events: number;
  problem?: { line: number; reason: string };
  repairs?: unknown[];
}

export interface ChainInput {
  id: string;
  label: string;
  source: string;
  lines: string[];
  check: ChainCheck;
  anchors: FoundAnchor[];
}

export function buildChain(input: ChainInput): { chain: AuditChain; rows: AuditRow[] } {
  const { check, lines } = input;
  const parsed = lines.map(eventOf);
  let problem = check.ok ? undefined : { line: check.problem?.line ?? check.events + 1, reason: check.problem?.reason ?? "the chain does not verify" };
  let verifiedUpTo = check.ok ? check.events : problem!.line - 1;
  let anchor: AnchorView | undefined;
  if (check.ok && input.anchors.length) {
    const verified = parsed
      .slice(0, check.events)
      .flatMap((p) => (typeof p.event?.seq === "number" && typeof p.event.hash === "string" ? [{ seq: p.event.seq, hash: p.event.hash }] : []));
    anchor = checkAnchors(verified, input.anchors);
    if (anchor && !anchor.ok) {
      // Any line up to the anchored event may have been rewritten: none of them is vouched for.
      const at = parsed.findIndex((p) => p.event?.seq === anchor!.seq);
      const line = at >= 0 ? at + 1 : Math.max(1, lines.length);
      problem = { line, reason: `${anchor.problem ?? "the anchor contradicts the log"}` };
      verifiedUpTo = 0;
    }
  } else if (input.anchors.length) {
    const newest = checkAnchors([], input.anchors);
    if (newest) anchor = { ...newest, ok: false, problem: "not checked: the chain itself breaks" };
  }
  const rows: AuditRow[] = [];
  let events = 0;
  lines.forEach((text, i) => {
    const line = i + 1;
    const blank = text.trim() === "";
    if (!blank) events++;
    if (blank && line !== problem?.line) return;
    const status: AuditLineStatus = line === problem?.line ? "breaks" : line <= verifiedUpTo ? "verified" : "unverified";
    rows.push({ chain: input.id, line, status, event: parsed[i]!.event });
  });
  const chain: AuditChain = {
    id: input.id,
    label: input.label,
    source: input.source,
    ok: !problem,
    verifiedEvents: problem ? Math.min(verifiedUpTo, check.events) : check.events,
    events,
    ...(problem ? { problem } : {}),
    ...(anchor ? { anchor } : {}),
    repairs: check.repairs?.length ?? 0,
  };
  return { chain, rows };
}

export function eventOf(text: string): { event?: Partial<AuditEvent> } {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? { event: value as Partial<AuditEvent> } : {};
  } catch {
    return {};
  }
}
