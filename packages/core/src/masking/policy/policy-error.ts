// A masking policy that is wrong: the message names file:line:column and the field.
import { UsageError } from "../../errors.js";
import type { PolicyOrigin } from "./types.js";

export class PolicyError extends UsageError {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly column?: number,
    readonly field?: string,
  ) {
    super(`${file}${line ? `:${line}:${column ?? 1}` : ""}: ${message}`);
  }
}

/** Path segments → the key into PolicyOrigin.positions. */
export function positionKey(segments: readonly (string | number)[]): string {
  return segments.map(String).join("\u0000");
}

/** A PolicyError at the nearest written position of `segments` (walking up to a parent). */
export function policyErrorAt(origin: PolicyOrigin | undefined, segments: (string | number)[], message: string): PolicyError {
  const field = segments.map(String).join(".") || "(root)";
  if (!origin) return new PolicyError(`${field}: ${message}`, "masking policy", undefined, undefined, field);
  for (let n = segments.length; n >= 0; n--) {
    const pos = origin.positions.get(positionKey(segments.slice(0, n)));
    if (pos) return new PolicyError(`${field}: ${message}`, origin.file, pos.line, pos.column, field);
  }
  return new PolicyError(`${field}: ${message}`, origin.file, undefined, undefined, field);
}
