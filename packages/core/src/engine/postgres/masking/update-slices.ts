// The UPDATE phase on every core: PostgreSQL runs one UPDATE on one backend, so a large table is
// split into block ranges (ctid ranges, a TID Range Scan each) updated at once in separate
// sessions. Concurrent UPDATEs of disjoint rows of one table are allowed (row locks only). A new
// row version may land in another slice's block range, so every slice must not see the others'
// writes even after they commit: each slice is a REPEATABLE READ transaction whose snapshot is
// taken before any slice starts updating (runSlices), so every row is masked exactly once.
import type pg from "pg";
import { mapLimit } from "../../../util/map-limit.js";
import type { ResolvedRule } from "../../../masking/policy/types.js";
import type { WithDatabase } from "./connector.js";

/** Below this many 8 kB blocks a table is one statement: each slice builds the mapping hashes again. */
export const MIN_SLICE_BLOCKS = 4096;

export interface TableWork {
  rules: ResolvedRule[];
  /** Block ranges [from, to) of the table, one statement each, the last unbounded (to = Infinity); undefined: one unbounded statement. */
  slices?: { from: number; to: number }[];
}

/** The table's block count, or undefined when it cannot be sliced by ctid (partitioned, inherited, not a plain table). */
async function sliceableBlocks(c: pg.Client, rule: ResolvedRule): Promise<number | undefined> {
  const r = await c.query<{ blocks: string; plain: boolean }>(
    `SELECT pg_relation_size(c.oid) / current_setting('block_size')::int AS blocks, c.relkind = 'r' AND NOT c.relhassubclass AS plain
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [rule.schema, rule.table],
  );
  const row = r.rows[0];
  return row?.plain ? Number(row.blocks) : undefined;
}

/**
 * Plan the statements of the UPDATE phase: a plain table of at least MIN_SLICE_BLOCKS blocks
 * is split into up to `jobs` equal block ranges, unless it has a shuffle rule (a shuffle orders
 * rows by their ctid after the update, which concurrent slices would place differently). The
 * block count is read now, after drops and truncates and before any update: rows added by the
 * updates land beyond it, and no row is outside [0, blocks) when the slices start.
 */
export async function planTableWork(withDb: WithDatabase, tables: ResolvedRule[][], jobs: number, minBlocks = MIN_SLICE_BLOCKS): Promise<TableWork[]> {
  const work: TableWork[] = [];
  for (const rules of tables) {
    const first = rules[0]!;
    if (jobs < 2 || rules.some((r) => r.transformer === "shuffle")) {
      work.push({ rules });
      continue;
    }
    const blocks = await withDb(first.database, (c) => sliceableBlocks(c, first));
    const count = blocks === undefined ? 1 : Math.min(jobs, Math.floor(blocks / Math.max(1, minBlocks)));
    if (blocks === undefined || count < 2) {
      work.push({ rules });
      continue;
    }
    const size = Math.ceil(blocks / count);
    const slices = Array.from({ length: count }, (_, i) => ({ from: i * size, to: Math.min(blocks, (i + 1) * size) })).filter((s) => s.from < s.to);
    // The last range has no upper bound: the block count only balances the ranges, it never decides
    // which rows are masked (a wrong count — a look-alike pg_relation_size in the data — still masks all).
    slices[slices.length - 1]!.to = Number.POSITIVE_INFINITY;
    work.push({ rules, slices });
  }
  return work;
}

/** The condition selecting one slice's rows of the table aliased `t`. */
export const sliceCondition = (s: { from: number; to: number }) =>
  `t.ctid >= '(${s.from},0)'::tid${Number.isFinite(s.to) ? ` AND t.ctid < '(${s.to},0)'::tid` : ""}`;

/**
 * Run `update` once per slice, each in its own session (from `session`) and REPEATABLE READ
 * transaction, all at once: every snapshot is taken before any update starts; each slice commits
 * when its own update ends. (Waiting for the others before committing could hang: a unique index
 * check in one slice may wait for another slice's transaction to end, which PostgreSQL cannot see
 * as a deadlock if that slice waits in Node. A failed slice fails the masking step, and a failed
 * build publishes nothing, so the slices that committed do not matter.) Returns the rows each changed.
 */
export async function runSlices(
  slices: { from: number; to: number }[],
  session: <T>(fn: (c: pg.Client) => Promise<T>) => Promise<T>,
  update: (c: pg.Client, slice: { from: number; to: number }) => Promise<number>,
): Promise<number[]> {
  const barrier = (n: number) => {
    let arrived = 0;
    let open!: () => void;
    const all = new Promise<void>((r) => (open = r));
    let failed: unknown;
    return {
      async wait(): Promise<void> {
        if (++arrived === n) open();
        await all;
        if (failed !== undefined) throw failed;
      },
      fail(e: unknown) {
        failed ??= e;
        open();
      },
    };
  };
  const snapshots = barrier(slices.length);
  const failAll = (e: unknown) => snapshots.fail(e);
  return mapLimit(slices, slices.length, (slice) =>
    session(async (c) => {
      try {
        await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
        await c.query("SELECT 1"); // the transaction's snapshot is taken at its first statement
        await snapshots.wait();
        const n = await update(c, slice);
        await c.query("COMMIT");
        return n;
      } catch (e) {
        failAll(e);
        await c.query("ROLLBACK").catch(() => undefined);
        throw e;
      }
    }).catch((e: unknown) => {
      failAll(e); // also a session that could not connect: the others must not wait for it
      throw e;
    }),
  );
}
