// Every family of a policy mapped, streamed (stream-family.ts): all families are staged first (so
// every column's cardinality is known before the leak scan's originals are collected), then
// streamed; staging runs up to `jobs` families at once, streaming `jobs` + 1 (largest first), sharing one pool of mapping workers.
import type { Reporter } from "../../../reporter.js";
import { mapLimit } from "../../../util/map-limit.js";
import { OriginalsCollector } from "../../../masking/leak-scan/originals-collector.js";
import { isHighCardinality, type OriginalSet, type OriginalSource } from "../../../masking/leak-scan/originals.js";
import type { ResolvedRule } from "../../../masking/policy/types.js";
import { startMappingPool } from "../../../masking/transformers/mapping-pool.js";
import { valueTransformers } from "../../../masking/transformers/value-transformers.js";
import type { WithDatabase } from "./connector.js";
import { stagingMemorySettings } from "./hash-memory.js";
import { mapTableName, stageFamily, streamFamily, type FamilyMember, type StagedFamily, type StreamContext } from "./stream-family.js";

export interface MapFamiliesOptions {
  withDb: WithDatabase;
  key: Buffer;
  reporter: Reporter;
  valueRules: ResolvedRule[];
  /** Engine type names whose values are stored as searchable text (the leak scan's columns). */
  textType: RegExp;
  workSchema: string;
  jobs: number;
  chunkSize: number;
  /** Bytes of originals held in memory; past it they are spilled (OriginalsCollector), under tempDir. */
  originalsBudget?: number;
  tempDir?: string;
}

export interface MappedFamilies {
  originals: OriginalSet;
  /** Per rule: distinct values and non-null rows (matching its where). */
  distinct: Map<ResolvedRule, { size: number }>;
  rows: Map<ResolvedRule, number>;
  /** Per rule: its family's mapping table in the work schema of its database. */
  mapTableOf: Map<ResolvedRule, string>;
  distinctTotal: number;
}

export async function mapAllFamilies(o: MapFamiliesOptions): Promise<MappedFamilies> {
  const textual = o.valueRules.filter((r) => valueTransformers[r.transformer as keyof typeof valueTransformers].textual && o.textType.test(r.type));
  // Counts are filled in once the families are staged (before any original is collected).
  const sources: OriginalSource[] = textual.map(({ database, schema, table, column, unique, transformer, part }) => {
    return { database, schema, table, column, unique, transformer, part, distinct: 0, rows: 0 };
  });
  const families = new Map<string, FamilyMember[]>();
  for (const rule of o.valueRules) families.set(rule.family, [...(families.get(rule.family) ?? []), { rule, source: textual.indexOf(rule) }]);
  const collector = new OriginalsCollector(sources, { budget: o.originalsBudget, tempDir: o.tempDir });
  const result: MappedFamilies = { originals: collector.finish(), distinct: new Map(), rows: new Map(), mapTableOf: new Map(), distinctTotal: 0 };
  if (o.valueRules.length === 0) return result;

  const pool = await startMappingPool(o.key, o.jobs);
  try {
    const progress = { addTotal: (_n: number) => {}, advance: (_n: number) => {} }; // staging maps nothing
    const ctx: StreamContext = {
      withDb: o.withDb,
      pool,
      key: o.key,
      reporter: o.reporter,
      workSchema: o.workSchema,
      chunkSize: o.chunkSize,
      collector,
      sessionMemory: stagingMemorySettings(o.jobs),
      progress,
    };
    const reading = o.reporter.progress("Masking: reading distinct values", families.size);
    let stagedCount = 0;
    const staged = await mapLimit([...families], o.jobs, async ([family, members], i): Promise<StagedFamily> => {
      const s = await stageFamily(ctx, family, i, members);
      reading.update(++stagedCount);
      return s;
    });
    reading.finish();
    for (const s of staged) {
      s.members.forEach((m, j) => {
        result.distinct.set(m.rule, { size: s.counts[j]!.distinct });
        result.rows.set(m.rule, s.counts[j]!.rows);
        result.mapTableOf.set(m.rule, mapTableName(s.index));
        if (m.source >= 0) Object.assign(sources[m.source]!, { distinct: s.counts[j]!.distinct, rows: s.counts[j]!.rows });
      });
    }
    const high = sources.map(isHighCardinality);
    // One display for every family streaming at once (a terminal shows one bar at a time). Its
    // total starts from the staged counts (a value in two member columns counts twice) and is
    // corrected as each family learns its exact count, so it never runs backwards.
    const estimate = (s: StagedFamily) => s.counts.reduce((n, c) => n + c.distinct, 0);
    let [total, done] = [staged.reduce((n, s) => n + estimate(s), 0), 0];
    const mapping = o.reporter.progress("Masking: mapping distinct values", total);
    const advance = (n: number) => {
      done += n;
      mapping.update(done, total);
    };
    // Largest families first, one more than the cores at once: a family alone at the end leaves
    // the workers idle while its main thread and its COPY catch up; the others fill those gaps.
    const largestFirst = [...staged].sort((a, b) => estimate(b) - estimate(a));
    const totals = await mapLimit(largestFirst, o.jobs + 1, (s) =>
      streamFamily(
        {
          ...ctx,
          progress: {
            addTotal: (exact) => {
              total += exact - estimate(s);
              mapping.update(done, total);
            },
            advance,
          },
        },
        s,
        high,
      ),
    );
    mapping.finish(`Masking: mapped ${done} distinct value(s) in ${staged.length} famil${staged.length === 1 ? "y" : "ies"} on ${pool.size} worker thread(s)`);
    result.distinctTotal = totals.reduce((a, b) => a + b, 0);
    // Sorted here, not beside the table updates: measured beside them, the UPDATEs took twice as long.
    // The spilled buckets are deduplicated and sorted on the worker threads, one bucket per thread.
    result.originals = await collector.finishWith((records) => pool.dedupe(records), pool.size);
    return result;
  } catch (e) {
    collector.dispose();
    throw e;
  } finally {
    await pool.close();
  }
}
