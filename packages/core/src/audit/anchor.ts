// Anchors: the head of an audit log (seq and hash) copied somewhere the log's writer cannot
// rewrite with it — a git tag, an OCI artifact. A log rewritten after it was anchored (even with
// every hash and the head recomputed) no longer holds the anchored hash at the anchored seq.
import { AuditError } from "../errors.js";
import type { AuditEvent } from "./chain.js";

export interface AuditAnchor {
  /** Which log: a hash of a directory repository's location, or a runner id (12-16 hex). */
  logId: string;
  /** Human-readable: the repository location or runner. */
  log: string;
  seq: number;
  hash: string;
  time: string;
}

export interface AnchorCheck {
  ok: boolean;
  /** Where the anchor was found, e.g. `git tag dbclone-audit/<id>/12`. */
  source: string;
  anchor: AuditAnchor;
  problem?: string;
}

export const LOG_ID = /^[0-9a-f]{12,16}$/;

/** An anchor read back from git or a registry, validated field by field (it is data). */
export function parseAnchor(raw: unknown, where: string): AuditAnchor {
  const a = raw as Partial<AuditAnchor> | null;
  const ok =
    !!a &&
    typeof a.logId === "string" &&
    LOG_ID.test(a.logId) &&
    Number.isSafeInteger(a.seq) &&
    (a.seq as number) >= 0 &&
    typeof a.hash === "string" &&
    /^sha256:[0-9a-f]{64}$/.test(a.hash) &&
    typeof a.time === "string";
  if (!ok) throw new AuditError(`audit anchor ${where} is not valid (logId, seq, hash, time); it was not written by dbclone audit anchor`);
  return { logId: a.logId!, log: typeof a.log === "string" ? a.log.slice(0, 500) : "", seq: a.seq!, hash: a.hash!, time: a.time! };
}

/** Does the chain (already verified on its own) still hold the anchored event? */
export function checkAgainstAnchor(events: Pick<AuditEvent, "seq" | "hash">[], anchor: AuditAnchor, source: string): AnchorCheck {
  if (anchor.seq === 0) return { ok: true, source, anchor };
  const at = events.find((e) => e.seq === anchor.seq);
  if (!at) {
    const last = events.at(-1)?.seq ?? 0;
    return {
      ok: false,
      source,
      anchor,
      problem: `the log ends at event ${last}, but ${source} anchored event ${anchor.seq}: events were removed after it was anchored`,
    };
  }
  if (at.hash !== anchor.hash) {
    return {
      ok: false,
      source,
      anchor,
      problem: `event ${anchor.seq} hashes to ${at.hash}, but ${source} anchored ${anchor.hash}: the log was rewritten after it was anchored`,
    };
  }
  return { ok: true, source, anchor };
}
