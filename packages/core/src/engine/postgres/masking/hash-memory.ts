// Server memory for the masking UPDATE's hash joins. Each mapped column joins its family's mapping
// table, which PostgreSQL hashes in full; at 10 M distinct values a table is ~1 GB, past the
// default 512 MB per hash (work_mem 256 MB × hash_mem_multiplier 2), so the join ran in batches
// through temp files, every block range over again. Each session now gets a share of a bounded
// budget (a quarter of the host's or the container's memory, split among the sessions running at
// once), spread over its joins so that the small mapping tables take what they need and the large
// ones share the rest; never less per hash than the 512 MB of before.
import os from "node:os";

/** Bytes of hash table per byte of mapping table (PostgreSQL's tuple and bucket overhead, with a margin). */
export const HASH_PER_TABLE_BYTE = 1.25;
/** Per hash node, as before (256 MB × hash_mem_multiplier 2). */
export const MIN_HASH_BYTES = 512 * 1024 * 1024;

/** A quarter of the memory this process may use: the host's, or its cgroup limit when lower. */
export function hashBudgetBytes(): number {
  const limit = typeof process.constrainedMemory === "function" ? process.constrainedMemory() : 0;
  const total = limit && limit > 0 && limit < os.totalmem() ? limit : os.totalmem();
  return Math.floor(total / 4);
}

/**
 * The hash memory each join of one statement may use (PostgreSQL has one limit for every hash
 * node of a session): the largest h with Σ min(need_i, h) ≤ the session's share, where need_i is
 * the hash of mapping table i; at least MIN_HASH_BYTES, and no more than the largest need.
 */
export function hashBytesPerJoin(mapBytes: number[], sessions: number, budget: number): number {
  const needs = mapBytes.map((b) => Math.ceil(b * HASH_PER_TABLE_BYTE)).sort((a, b) => a - b);
  if (needs.length === 0) return MIN_HASH_BYTES;
  let left = budget / Math.max(1, sessions);
  let h = needs[needs.length - 1]!;
  // Water-filling: the smallest needs are met in full while the rest can still share what is left.
  for (let i = 0; i < needs.length; i++) {
    const rest = needs.length - i;
    if (needs[i]! * rest > left) {
      h = Math.floor(left / rest);
      break;
    }
    left -= needs[i]!;
  }
  return Math.max(MIN_HASH_BYTES, h);
}

/** The session settings for that limit (work_mem in kB; the multiplier 1, so work_mem is the hash's own). */
export function hashMemorySettings(bytesPerJoin: number): string {
  return `SET work_mem = '${Math.ceil(bytesPerJoin / 1024)}kB'; SET hash_mem_multiplier = 1`;
}

const GB = 1024 * 1024 * 1024;

/**
 * The staging and streaming sessions (up to `jobs` at once): their aggregates, the unique family's
 * sort and index build hold a family's distinct values (~0.6–1 GB at 10 M) and spilled to temp
 * files at 256 MB. Each now gets an equal share of the budget, between 512 MB and 2 GB.
 */
export function stagingMemorySettings(jobs: number, budget = hashBudgetBytes()): string {
  const share = Math.min(2 * GB, Math.max(MIN_HASH_BYTES, Math.floor(budget / Math.max(1, jobs))));
  const kB = Math.ceil(share / 1024);
  return `SET work_mem = '${kB}kB'; SET hash_mem_multiplier = 1; SET maintenance_work_mem = '${kB}kB'`;
}
