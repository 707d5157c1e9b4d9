// A runner's chain as a registry holds it: segments (fromSeq..toSeq, the hash of their last event)
// and their event lines in order. Checked as one chain, and against what each segment claims, so
// a forged, missing or repeated segment is reported at the line where it starts to disagree.
import { walkChain, type ChainHead } from "./verify-chain.js";

export interface SegmentClaim {
  fromSeq: number;
  toSeq: number;
  headHash: string;
}

export interface SegmentedChainCheck {
  ok: boolean;
  /** Events that checked out before the first problem. */
  events: number;
  /** 1-based line of the concatenated chain, and what is wrong there. */
  problem?: { line: number; reason: string };
  last: ChainHead;
}

export async function verifySegmentedChain(
  segments: readonly SegmentClaim[],
  lines: readonly string[],
  opts: { key?: Buffer } = {},
): Promise<SegmentedChainCheck> {
  const walk = await walkChain(lines, { key: opts.key });
  // Segments must cover 1..n without a gap or overlap.
  let expected = 1;
  for (const s of segments) {
    if (s.fromSeq !== expected) {
      const line = Math.min(expected, lines.length + 1);
      return {
        ok: false,
        events: Math.min(walk.events, line - 1),
        last: walk.last,
        problem: { line, reason: `segment ${s.fromSeq}-${s.toSeq} does not follow event ${expected - 1}: events are missing or repeated` },
      };
    }
    expected = s.toSeq + 1;
  }
  if (!walk.ok) return { ok: false, events: walk.events, last: walk.last, problem: walk.problem };
  const newest = segments.at(-1);
  if (newest && (walk.last.seq !== newest.toSeq || walk.last.hash !== newest.headHash)) {
    return {
      ok: false,
      events: Math.max(0, walk.events - 1),
      last: walk.last,
      problem: {
        line: walk.events,
        reason: `line ${walk.events}: the newest segment says it ends at event ${newest.toSeq} (${newest.headHash}) but its events end at ${walk.last.seq} (${walk.last.hash})`,
      },
    };
  }
  return { ok: true, events: walk.events, last: walk.last };
}
