// Leak-scan probes: a sample of the original values of masked text columns, held only in memory,
// each searched for as UTF-8 and as UTF-16LE (how SQL Server stores nvarchar).
import crypto from "node:crypto";
import { AhoCorasick } from "./aho-corasick.js";

export interface ProbeSource {
  database: string;
  schema: string;
  table: string;
  column: string;
}

export interface Probe {
  /** The original value (never written anywhere). */
  value: string;
  source: ProbeSource;
  encoding: "utf8" | "utf16le";
  bytes: Buffer;
}

export interface ProbeCandidates {
  source: ProbeSource;
  values: Iterable<string>;
}

export interface ProbeOptions {
  /** Original values to sample (default 1200, at least 1000 where the data has them). */
  target?: number;
  /** Shorter values would match unrelated bytes by chance (default 6 bytes). */
  minBytes?: number;
  /** Longer values are searched by their first bytes (default 32 bytes of UTF-8). */
  maxBytes?: number;
}

/**
 * Pick probes spread over the masked columns. A value that also occurs inside a masked output
 * (e.g. the original "Jackson" is also some other row's fake last name) is legitimately in the
 * image and is not a probe.
 */
export function selectProbes(candidates: ProbeCandidates[], maskedOutputs: Iterable<string>, opts: ProbeOptions = {}): Probe[] {
  const target = opts.target ?? 1200;
  const minBytes = opts.minBytes ?? 6;
  const maxBytes = opts.maxBytes ?? 32;
  const perColumn = candidates.map((c) => {
    const eligible: string[] = [];
    for (const v of c.values) if (Buffer.byteLength(v) >= minBytes) eligible.push(v);
    return { source: c.source, values: sample(eligible, Math.ceil((3 * target) / Math.max(1, candidates.length))) };
  });
  const all = [...new Set(perColumn.flatMap((c) => c.values))].map((v) => truncate(v, maxBytes));
  const legitimate = occurringIn(all, maskedOutputs);
  // Round-robin across columns so every masked column is probed.
  const chosen: { value: string; source: ProbeSource }[] = [];
  const seen = new Set<string>();
  for (let i = 0; chosen.length < target; i++) {
    let any = false;
    for (const c of perColumn) {
      const v = c.values[i];
      if (v === undefined) continue;
      any = true;
      const t = truncate(v, maxBytes);
      if (legitimate.has(t) || seen.has(t) || chosen.length >= target) continue;
      seen.add(t);
      chosen.push({ value: t, source: c.source });
    }
    if (!any) break;
  }
  return chosen.flatMap(({ value, source }) => [
    { value, source, encoding: "utf8" as const, bytes: Buffer.from(value, "utf8") },
    { value, source, encoding: "utf16le" as const, bytes: Buffer.from(value, "utf16le") },
  ]);
}

function sample(values: string[], n: number): string[] {
  if (values.length <= n) return shuffle(values);
  return shuffle(values).slice(0, n);
}

function shuffle<T>(a: T[]): T[] {
  const out = [...a];
  for (let i = out.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The first maxBytes of UTF-8, cut on a character boundary. */
function truncate(value: string, maxBytes: number): string {
  if (Buffer.byteLength(value) <= maxBytes) return value;
  let out = "";
  for (const ch of value) {
    if (Buffer.byteLength(out + ch) > maxBytes) break;
    out += ch;
  }
  return out;
}

/** Which of `values` occur inside any of `texts` (one Aho-Corasick pass over all of them). */
function occurringIn(values: string[], texts: Iterable<string>): Set<string> {
  const found = new Set<string>();
  if (values.length === 0) return found;
  const ac = new AhoCorasick(values.map((v) => Buffer.from(v, "utf8")));
  const batch: string[] = [];
  const flush = () => {
    ac.feed(Buffer.from(batch.join("\u0000"), "utf8"), (m) => found.add(values[m.pattern]!));
    ac.feed(Buffer.from([0]), () => {});
    batch.length = 0;
  };
  for (const t of texts) {
    batch.push(t);
    if (batch.length >= 50_000) flush();
  }
  if (batch.length) flush();
  return found;
}
