// The raw-byte leak scan: every byte of a file (the sealed base disk) searched for every probe.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { AhoCorasick } from "./aho-corasick.js";
import type { Probe } from "./probes.js";

export interface LeakHit {
  probe: Probe;
  offset: number;
}

export interface LeakScanResult {
  file: string;
  bytesScanned: number;
  /** Original values searched for (each in UTF-8 and UTF-16LE). */
  probes: number;
  hits: number;
  /** The first hits, with where the value came from and where it was found. */
  examples: LeakHit[];
  seconds: number;
  mbPerSecond: number;
}

export async function scanFileForProbes(file: string, probes: Probe[], onProgress?: (done: number, total: number) => void): Promise<LeakScanResult> {
  const started = performance.now();
  const total = (await stat(file)).size;
  const values = new Set(probes.map((p) => p.value)).size;
  const result: LeakScanResult = { file, bytesScanned: 0, probes: values, hits: 0, examples: [], seconds: 0, mbPerSecond: 0 };
  if (probes.length > 0) {
    const ac = new AhoCorasick(probes.map((p) => p.bytes));
    for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) {
      ac.feed(chunk as Buffer, (m) => {
        result.hits++;
        if (result.examples.length < 20) result.examples.push({ probe: probes[m.pattern]!, offset: m.offset });
      });
      result.bytesScanned += (chunk as Buffer).length;
      onProgress?.(result.bytesScanned, total);
    }
  }
  result.seconds = (performance.now() - started) / 1000;
  result.mbPerSecond = result.bytesScanned / 1048576 / Math.max(result.seconds, 1e-6);
  return result;
}

/** One line per hit: the channel (which column's value) and the byte offset — never the value itself. */
export function describeHits(r: LeakScanResult): string {
  return r.examples
    .map((h) => `${h.probe.source.database}.${h.probe.source.schema}.${h.probe.source.table}.${h.probe.source.column} (${h.probe.encoding}) at byte ${h.offset}`)
    .join("; ");
}
