// The keyed, consistent mapping of one family: every distinct input of every column in the family
// (all tables, all databases of the image) maps once, so keys and joins still match afterwards.
import { BuildError } from "../../errors.js";
import type { ColumnRule, ValueTransformerName } from "../policy/types.js";
import { keyedDigest } from "../keyed-digest.js";
import { keyedFaker } from "./faker-locales.js";
import { valueTransformers } from "./value-transformers.js";

/** Options that change the output; family defaults to the transformer plus these. */
const OUTPUT_OPTIONS = ["locale", "keepDomain", "keep", "maskChar", "days", "percent", "length", "part", "format", "country"] as const;

export function defaultFamily(rule: ColumnRule): string {
  const opts = OUTPUT_OPTIONS.filter((k) => rule[k] !== undefined && !(k === "locale" && rule.locale === "en")).map((k) => `${k}=${String(rule[k])}`);
  return opts.length ? `${rule.transformer}[${opts.join(",")}]` : rule.transformer;
}

/** One value's masked form (no collision handling): what every engine must reproduce for hash/dateShift/noise. */
export function maskValue(key: Buffer, family: string, rule: ColumnRule, value: string, attempt = 0): string {
  const digest = keyedDigest(key, family, value, attempt);
  const { faker, randomizer } = keyedFaker(rule.locale ?? "en");
  randomizer.seedFromDigest(digest);
  return valueTransformers[rule.transformer as ValueTransformerName].map(value, { faker, digest, rule });
}

/** Attempts 1..49 re-key the digest; 50..99 append the attempt number; then the family is full. */
export const MAX_ATTEMPTS = 50;

/**
 * Map all inputs of a family. With `unique`, outputs are distinct and never equal any input
 * (so a unique index holds during the update); inputs are taken in sorted order, so the result
 * does not depend on which table was read first.
 */
export function mapFamily(key: Buffer, family: string, rule: ColumnRule, inputs: Set<string>, unique: boolean): Map<string, string> {
  const out = new Map<string, string>();
  if (!unique) {
    for (const v of inputs) out.set(v, maskValue(key, family, rule, v));
    return out;
  }
  const taken = new Set(inputs);
  for (const v of [...inputs].sort()) {
    let attempt = 0;
    let masked = maskValue(key, family, rule, v);
    while (taken.has(masked)) {
      attempt++;
      if (attempt < MAX_ATTEMPTS) masked = maskValue(key, family, rule, v, attempt);
      else if (attempt < MAX_ATTEMPTS * 2) masked = withSuffix(maskValue(key, family, rule, v), attempt);
      else
        throw new BuildError(`masking family '${family}' ran out of distinct values for a unique column; use a transformer with more outputs (hash, email).`);
    }
    taken.add(masked);
    out.set(v, masked);
  }
  return out;
}

/** The last resort for a small output space (e.g. unique first names): a numbered variant. */
export function withSuffix(masked: string, attempt: number): string {
  const at = masked.lastIndexOf("@");
  return at > 0 ? `${masked.slice(0, at)}.${attempt}${masked.slice(at)}` : `${masked}-${attempt}`;
}
