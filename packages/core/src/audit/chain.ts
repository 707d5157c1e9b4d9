// The hash chain of the audit log: how an event's hash is computed and how one line is checked.
import { canonicalJson, sha256Of } from "../image/digest.js";

export const AUDIT_ACTIONS = ["build", "publish", "pull", "clone", "promote", "teardown", "delete", "tag", "untag", "denied", "gc", "repair"] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type AuditOutcome = "success" | "failure" | "denied";

export interface AuditEventInput {
  action: AuditAction;
  outcome: AuditOutcome;
  /** Defaults to GITHUB_ACTOR, else the OS user. */
  actor?: string;
  /** `name:version` (or a reference as given when it did not resolve). */
  image?: string;
  /** Manifest digest of the image concerned. */
  digest?: string;
  clone?: string;
  runUrl?: string;
  commit?: string;
  detail?: string;
  /** Verified claims of the job's OIDC token (repository, workflow, run_id, actor, sha), when it had one. */
  claims?: Record<string, string>;
}

export interface AuditEvent extends AuditEventInput {
  seq: number;
  time: string;
  actor: string;
  prevHash: string;
  hash: string;
  /** HMAC of `hash` with the audit key, when one is configured (not covered by `hash`). */
  mac?: string;
}

/** prevHash of the first event. */
export const GENESIS_HASH = `sha256:${"0".repeat(64)}`;

/** sha256 of prevHash + canonical JSON of the event without its hash (and without its mac). */
export function hashEvent(event: Omit<AuditEvent, "hash">): string {
  const { mac: _mac, ...body } = event;
  return sha256Of(body.prevHash + canonicalJson(body));
}

export type LineCheck = { event: AuditEvent } | { reason: string };

/** Check one line against the event before it (`prev`: seq and hash). */
export function checkLine(line: string, prev: { seq: number; hash: string }): LineCheck {
  if (line.trim() === "") return { reason: "is empty" };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { reason: "is not valid JSON: the line was truncated or edited" };
  }
  const event = value as AuditEvent;
  if (typeof value !== "object" || value === null || typeof event.seq !== "number" || typeof event.hash !== "string" || typeof event.prevHash !== "string") {
    return { reason: "lacks seq, prevHash or hash: it is not an audit event" };
  }
  const { hash, mac: _mac, ...rest } = event;
  if (hashEvent(rest) !== hash) return { reason: "does not match its own hash: the line was edited" };
  if (event.seq !== prev.seq + 1) {
    return { reason: `has seq ${event.seq} where ${prev.seq + 1} was expected: a line was removed, inserted or moved` };
  }
  if (event.prevHash !== prev.hash) return { reason: "does not chain to the line before it: a line was removed, inserted or moved" };
  return { event };
}
