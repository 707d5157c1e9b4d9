// The engine-neutral middle of masking: one mapping per column family over the distinct inputs
// of all its columns in all databases, and the originals the leak scan searches for. Each
// engine reads the distinct values and applies the mappings in its own SQL; this part is shared
// so PostgreSQL and SQL Server produce the same pseudonyms by construction.
import { collectOriginals, type OriginalColumn, type OriginalSet } from "./leak-scan/originals.js";
export { emptyOriginals } from "./leak-scan/originals.js";
import { BuildError } from "../errors.js";
import { VALUE_TRANSFORMERS, type ResolvedRule } from "./policy/types.js";
import { mapFamily } from "./transformers/family-mapping.js";
import { valueTransformers } from "./transformers/value-transformers.js";

/** What one engine's masking step did: recorded in the manifest, originals kept for the leak scan. */
export interface MaskingRun {
  rules: AppliedRule[];
  rowsChanged: number;
  truncated: string[];
  excluded: string[];
  /** Every original value the leak scan searches the final disk for (memory only). */
  originals: OriginalSet;
  preview?: { table: string; before: Record<string, string | null>; after?: Record<string, string | null> };
  seconds: number;
  /** Streamed engines: mapping workers / tables at once, the mapping phase, the UPDATE phase, distinct values over all families. */
  jobs?: number;
  mapSeconds?: number;
  updateSeconds?: number;
  distinctValues?: number;
}

/** A rule whose transformer maps each distinct value in Node (the rest are SQL or shuffles). */
export const isValueRule = (r: { transformer: string }): boolean => (VALUE_TRANSFORMERS as readonly string[]).includes(r.transformer);

/** One key per table across databases (NUL cannot occur in a name). */
export const tableKey = (r: { database: string; schema: string; table: string }): string => `${r.database}\u0000${r.schema}\u0000${r.table}`;

/** A family is one mapping: every column in it must use the same transformer and options. */
export function checkFamilies(rules: ResolvedRule[]): void {
  const first = new Map<string, ResolvedRule>();
  for (const r of rules) {
    const f = first.get(r.family);
    if (!f) first.set(r.family, r);
    else if (f.transformer !== r.transformer) {
      throw new BuildError(
        `masking family '${r.family}' is used by ${f.table}.${f.column} (${f.transformer}) and ${r.table}.${r.column} (${r.transformer}); a family needs one transformer`,
      );
    }
  }
}

/** original → masked, per family. */
export function mapFamilies(key: Buffer, valueRules: ResolvedRule[], distinct: Map<ResolvedRule, Set<string>>): Map<string, Map<string, string>> {
  const familyMaps = new Map<string, Map<string, string>>();
  for (const family of new Set(valueRules.map((r) => r.family))) {
    const members = valueRules.filter((r) => r.family === family);
    const inputs = new Set<string>();
    for (const r of members) for (const v of distinct.get(r)!) inputs.add(v);
    familyMaps.set(
      family,
      mapFamily(
        key,
        family,
        members[0]!,
        inputs,
        members.some((r) => r.unique),
      ),
    );
  }
  return familyMaps;
}

/**
 * Every distinct original of every masked text-like column, for the leak scan (memory only).
 * `textType` tells which column types store text as bytes the scan can find (engine type names);
 * `rows` (non-null rows per rule, where the engine counted them) decides each column's cardinality.
 */
export function leakOriginals(
  valueRules: ResolvedRule[],
  distinct: Map<ResolvedRule, Set<string>>,
  textType: RegExp,
  rows?: Map<ResolvedRule, number>,
  familyMaps?: Map<string, Map<string, string>>,
): OriginalSet {
  const textual = valueRules.filter((r) => valueTransformers[r.transformer as keyof typeof valueTransformers].textual && textType.test(r.type));
  const columns: OriginalColumn[] = textual.map((r) => ({
    source: {
      database: r.database,
      schema: r.schema,
      table: r.table,
      column: r.column,
      distinct: distinct.get(r)!.size,
      rows: rows?.get(r),
      unique: r.unique,
      transformer: r.transformer,
      part: r.part,
    },
    values: distinct.get(r)!,
  }));
  const originals = collectOriginals(columns);
  // An engine that cannot read its published data back (SQL Server, for now) explains a hit only
  // by the masked outputs held here: an original inside one is legitimately in the image.
  if (familyMaps) {
    for (const r of textual) for (const out of familyMaps.get(r.family)?.values() ?? []) originals.markInsideOutput(Buffer.from(out, "utf8"));
  }
  return originals;
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

export function appliedRules(rules: ResolvedRule[], distinct: Map<ResolvedRule, { size: number }>): AppliedRule[] {
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
