// The one label grammar, for the CLI (--label key=value, repeatable) and the actions (a `labels`
// input, one key=value per line or comma-separated): key of letters, digits, _ . / -; the value is
// everything after the first '=', trimmed.
import { UsageError } from "../errors.js";

export const LABEL_KEY_PATTERN = /^[A-Za-z0-9_./-]+$/;

/**
 * One `key=value` pair → [key, value]. `field` names the caller's option or input in the error
 * ("--label", "Input 'labels'"); `example` shows a good pair in that caller's syntax.
 */
export function parseLabel(pair: string, field: string, example = "branch=main"): [string, string] {
  const eq = pair.indexOf("=");
  const key = eq > 0 ? pair.slice(0, eq).trim() : "";
  if (!LABEL_KEY_PATTERN.test(key)) {
    throw new UsageError(`${field}: '${pair}' is not a label; write key=value with a key of letters, digits and _ . / - (e.g. ${example})`);
  }
  return [key, pair.slice(eq + 1).trim()];
}
