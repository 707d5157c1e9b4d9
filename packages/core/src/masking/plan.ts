// The engine-neutral middle of masking: one mapping per column family over the distinct inputs
// of all its columns in all databases, and the leak-scan probes drawn from those originals. Each
// engine reads the distinct values and applies the mappings in its own SQL; this part is shared
// so PostgreSQL and SQL Server produce the same pseudonyms by construction.
import { selectProbes, type Probe, type ProbeCandidates } from "./leak-scan/probes.js";
import type { ResolvedRule } from "./policy/types.js";
import { mapFamily } from "./transformers/family-mapping.js";
import { valueTransformers } from "./transformers/value-transformers.js";

/** original → masked, per family. */
export function mapFamilies(key: Buffer, valueRules: ResolvedRule[], distinct: Map<ResolvedRule, Set<string>>): Map<string, Map<string, string>> {
  const familyMaps = new Map<string, Map<string, string>>();
  for (const family of new Set(valueRules.map((r) => r.family))) {
    const members = valueRules.filter((r) => r.family === family);
    const inputs = new Set<string>();
    for (const r of members) for (const v of distinct.get(r)!) inputs.add(v);
    familyMaps.set(family, mapFamily(key, family, members[0]!, inputs, members.some((r) => r.unique)));
  }
  return familyMaps;
}

/**
 * Original text values to search the final disk for (held in memory only). `textType` tells which
 * column types store text as bytes the scan can find (engine-specific type names).
 */
export function leakProbes(
  valueRules: ResolvedRule[],
  distinct: Map<ResolvedRule, Set<string>>,
  familyMaps: Map<string, Map<string, string>>,
  textType: RegExp,
  target?: number,
): Probe[] {
  const textual = valueRules.filter((r) => valueTransformers[r.transformer as keyof typeof valueTransformers].textual && textType.test(r.type));
  const candidates: ProbeCandidates[] = textual.map((r) => ({ source: r, values: distinct.get(r)! }));
  const outputs = (function* () {
    for (const r of textual) yield* familyMaps.get(r.family)!.values();
  })();
  return selectProbes(candidates, outputs, { target });
}

/** The per-rule record kept in the manifest: what was masked how, never a value. */
export interface AppliedRule {
  database: string;
  table: string;
  column: string;
  transformer: string;
  family: string;
  origin: string;
  distinctValues?: number;
  [key: string]: unknown;
}

export function appliedRules(rules: ResolvedRule[], distinct: Map<ResolvedRule, Set<string>>): AppliedRule[] {
  return rules.map((r) => ({
    database: r.database,
    table: `${r.schema}.${r.table}`,
    column: r.column,
    transformer: r.transformer,
    family: r.family,
    origin: r.origin,
    ...(distinct.has(r) ? { distinctValues: distinct.get(r)!.size } : {}),
    ...(r.where ? { where: r.where } : {}),
  }));
}
