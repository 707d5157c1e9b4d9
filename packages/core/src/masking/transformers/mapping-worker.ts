// One thread of the mapping pool (mapping-pool.ts): maps chunks of values of one family with the
// keyed digest and seeded faker (maskValue), attempt 0. The key arrives in workerData, in memory only.
import { parentPort, workerData } from "node:worker_threads";
import type { ColumnRule } from "../policy/types.js";
import { maskValue } from "./family-mapping.js";

export interface MapRequest {
  id: number;
  family: string;
  rule: ColumnRule;
  values: string[];
}

export interface MapResponse {
  id: number;
  outputs: string[];
}

const key = Buffer.from(workerData.key as Uint8Array);

parentPort!.on("message", (m: MapRequest) => {
  // Test-only fault (same convention as util/pause-point.ts): a crash mid-build must fail it cleanly.
  if (process.env.DBCLONE_TEST_CRASH_AT === "mapping-worker") process.exit(70);
  const outputs = m.values.map((v) => maskValue(key, m.family, m.rule, v));
  parentPort!.postMessage({ id: m.id, outputs } satisfies MapResponse);
});
