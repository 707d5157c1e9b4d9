// Walk a chain of audit lines (a local log, or a runner's segments from a registry) and report
// the first problem: an edited, removed, inserted or reordered line, or a wrong/missing HMAC.
import { checkLine, GENESIS_HASH, type AuditEvent } from "./chain.js";
import { macMatches } from "./keyed.js";

export interface ChainHead {
  seq: number;
  hash: string;
}

export interface RepairNote {
  seq: number;
  time: string;
  detail: string;
}

export interface ChainWalk {
  ok: boolean;
  /** Events that checked out before the first problem. */
  events: number;
  problem?: { line: number; reason: string };
  last: ChainHead;
  lastPrevHash: string;
  /** Repairs the chain records (torn tails set aside). */
  repairs: RepairNote[];
  /** Events carrying a valid HMAC, and events before the first one that does (older, unkeyed). */
  keyed: number;
  unkeyed: number;
}

export async function walkChain(lines: AsyncIterable<string> | Iterable<string>, opts: { key?: Buffer; from?: ChainHead } = {}): Promise<ChainWalk> {
  const walk: ChainWalk = {
    ok: true,
    events: 0,
    last: opts.from ?? { seq: 0, hash: GENESIS_HASH },
    lastPrevHash: GENESIS_HASH,
    repairs: [],
    keyed: 0,
    unkeyed: 0,
  };
  let lineNo = 0;
  const fail = (reason: string) => {
    walk.ok = false;
    walk.problem = { line: lineNo, reason: `line ${lineNo} ${reason}` };
    return walk;
  };
  for await (const line of lines) {
    lineNo++;
    const check = checkLine(line, walk.last);
    if ("reason" in check) return fail(check.reason);
    const event: AuditEvent = check.event;
    if (opts.key) {
      if (event.mac !== undefined && !macMatches(opts.key, event.hash, event.mac)) {
        return fail("has a wrong HMAC: it was rewritten without the audit key");
      }
      if (event.mac === undefined && walk.keyed > 0) {
        return fail("lacks the HMAC the lines before it carry: it was rewritten without the audit key");
      }
      if (event.mac === undefined) walk.unkeyed++;
      else walk.keyed++;
    }
    if (event.action === "repair") walk.repairs.push({ seq: event.seq, time: event.time, detail: event.detail ?? "" });
    walk.lastPrevHash = event.prevHash;
    walk.last = { seq: event.seq, hash: event.hash };
    walk.events = lineNo;
  }
  return walk;
}

/** Where the log and its head file disagree: lines removed, added or replaced at the end. */
export function compareHead(head: ChainHead | undefined, last: ChainHead, lastPrevHash: string, events: number): { line: number; reason: string } | undefined {
  if (!head) {
    return events === 0 ? undefined : { line: events, reason: `events.head is missing while the log holds ${events} events: it was deleted` };
  }
  if (head.seq > events) {
    return {
      line: events + 1,
      reason: `line ${events + 1} is missing: events.head records ${head.seq} events but the log ends after ${events}; the last line(s) were removed`,
    };
  }
  if (head.seq < events) {
    const interrupted = head.seq === events - 1 && head.hash === lastPrevHash;
    return {
      line: head.seq + 1,
      reason: `line ${head.seq + 1} is beyond the ${head.seq} events recorded in events.head: ${interrupted ? "an interrupted append, or a line added at the end" : "lines were added at the end"}`,
    };
  }
  if (head.hash !== last.hash) return { line: events, reason: `line ${events} is not the last event recorded in events.head: the end of the log was replaced` };
  return undefined;
}
