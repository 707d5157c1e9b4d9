// One thread of the mapping pool (mapping-pool.ts): maps chunks of values of one family with the
// keyed digest and seeded faker (maskValue), attempt 0. The key arrives in workerData, in memory only.
// Values travel as one string joined by NUL (a database text value never holds NUL): one copy
// between threads instead of one object per value.
import { parentPort, workerData } from "node:worker_threads";
import { dedupeBucket, type DedupedBucket } from "../leak-scan/bucket-dedupe.js";
import type { ColumnRule } from "../policy/types.js";
import { copyField } from "./copy-text.js";
import { maskValue } from "./family-mapping.js";

export interface MapRequest {
  id: number;
  family: string;
  rule: ColumnRule;
  /** The values joined by NUL. */
  values: string;
  /** "outputs": the outputs joined by NUL; "copy": COPY text rows `f \t value \t output \n`. */
  reply: "outputs" | "copy";
}

/** Deduplicate and sort one spilled bucket of the leak scan's originals (bucket-dedupe.ts). */
export interface DedupeRequest {
  id: number;
  dedupe: Uint8Array;
}

export interface MapResponse {
  id: number;
  text: string;
  deduped?: DedupedBucket;
}

const key = Buffer.from(workerData.key as Uint8Array);

parentPort!.on("message", (m: MapRequest | DedupeRequest) => {
  // Test-only fault (same convention as util/pause-point.ts): a crash mid-build must fail it cleanly.
  if (process.env.DBCLONE_TEST_CRASH_AT === "mapping-worker") process.exit(70);
  if ("dedupe" in m) {
    const deduped = dedupeBucket(m.dedupe);
    const data = new Uint8Array(deduped.data.buffer, deduped.data.byteOffset, deduped.data.byteLength);
    parentPort!.postMessage({ id: m.id, text: "", deduped: { ...deduped, data } } satisfies MapResponse, [data.buffer as ArrayBuffer]);
    return;
  }
  const values = m.values.split("\u0000");
  let text = "";
  if (m.reply === "copy") {
    for (const v of values) text += `f\t${copyField(v)}\t${copyField(maskValue(key, m.family, m.rule, v))}\n`;
  } else {
    text = values.map((v) => maskValue(key, m.family, m.rule, v)).join("\u0000");
  }
  parentPort!.postMessage({ id: m.id, text } satisfies MapResponse);
});
