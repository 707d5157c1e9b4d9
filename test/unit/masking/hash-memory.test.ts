// The masking UPDATE's hash memory (hash-memory.ts): mapping tables that fit the session's share
// get a hash each in one batch; when they do not, the small ones are met in full and the large
// share the rest; never below the 512 MB of before; settings PostgreSQL accepts.
import { describe, expect, it } from "vitest";
import {
  HASH_PER_TABLE_BYTE,
  hashBudgetBytes,
  hashBytesPerJoin,
  hashMemorySettings,
  MIN_HASH_BYTES,
  stagingMemorySettings,
} from "../../../packages/core/src/engine/postgres/masking/hash-memory.js";

const GB = 1024 ** 3;
const MB = 1024 ** 2;

describe("masking UPDATE hash memory", () => {
  it("fits every mapping table when the session's share allows", () => {
    const h = hashBytesPerJoin([1 * GB, 0.7 * GB, 2 * MB], 2, 8 * GB);
    expect(h).toBe(Math.ceil(1 * GB * HASH_PER_TABLE_BYTE));
  });

  it("meets the small tables in full and splits the rest among the large ones", () => {
    // Share 3 GB per session; needs 2.5 MB, 0.875, 0.9375 and 1.25 GB: all but the largest in full, which gets the rest.
    const h = hashBytesPerJoin([1 * GB, 0.7 * GB, 0.75 * GB, 2 * MB], 2, 6 * GB);
    const small = Math.ceil(2 * MB * HASH_PER_TABLE_BYTE);
    expect(h).toBe(Math.floor(3 * GB - small - Math.ceil(0.7 * GB * HASH_PER_TABLE_BYTE) - Math.ceil(0.75 * GB * HASH_PER_TABLE_BYTE)));
    expect(h).toBeLessThan(Math.ceil(GB * HASH_PER_TABLE_BYTE));
    // With a smaller share the three large ones split what the small one leaves.
    const h2 = hashBytesPerJoin([1 * GB, 0.7 * GB, 0.75 * GB, 2 * MB], 2, 4.5 * GB);
    expect(h2).toBe(Math.floor((2.25 * GB - small) / 3));
    expect(Math.min(h, Math.ceil(GB * 1.25)) + Math.ceil(0.7 * GB * 1.25) + Math.min(h, Math.ceil(0.75 * GB * 1.25)) + small).toBeLessThanOrEqual(3 * GB);
    expect(h).toBeGreaterThan(MIN_HASH_BYTES);
  });

  it("never goes below 512 MB per hash, nor above the largest need", () => {
    expect(hashBytesPerJoin([4 * GB, 4 * GB], 8, 1 * GB)).toBe(MIN_HASH_BYTES);
    expect(hashBytesPerJoin([], 2, 8 * GB)).toBe(MIN_HASH_BYTES);
    expect(hashBytesPerJoin([10 * MB], 1, 8 * GB)).toBe(MIN_HASH_BYTES);
  });

  it("budgets a quarter of the memory and writes settings in kB", () => {
    expect(hashBudgetBytes()).toBeGreaterThan(0);
    expect(hashMemorySettings(1.5 * GB)).toBe("SET work_mem = '1572864kB'; SET hash_mem_multiplier = 1");
  });

  it("gives each staging session an equal share between 512 MB and 2 GB", () => {
    expect(stagingMemorySettings(2, 3 * GB)).toBe("SET work_mem = '1572864kB'; SET hash_mem_multiplier = 1; SET maintenance_work_mem = '1572864kB'");
    expect(stagingMemorySettings(2, 64 * GB)).toContain("work_mem = '2097152kB'");
    expect(stagingMemorySettings(8, 1 * GB)).toContain("work_mem = '524288kB'");
  });
});
