// Parsing of action inputs. Every error names the input, so a user knows which `with:` line to fix.
import * as core from "@actions/core";
import { UsageError } from "../../packages/core/src/errors.js";
import { parseLabel } from "../../packages/core/src/image/index.js";
import { parseDuration as parseDurationText, parseTtl } from "../../packages/core/src/util/index.js";

/** An input's trimmed value, or undefined when empty or absent. */
export function optionalInput(name: string): string | undefined {
  const value = core.getInput(name).trim();
  return value === "" ? undefined : value;
}

export function requiredInput(name: string): string {
  const value = optionalInput(name);
  if (value === undefined) throw new UsageError(`Input '${name}' is required: set it under 'with:' in the workflow step.`);
  return value;
}

/** Non-empty lines of a multi-line input, trimmed. */
export function multilineInput(name: string): string[] {
  return parseLines(core.getInput(name));
}

export function parseLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/** `key=value` lines (or comma-separated pairs) → a record. */
export function parseLabels(text: string | undefined, input: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === undefined) return labels;
  for (const item of parseLines(text).flatMap((l) => l.split(","))) {
    const pair = item.trim();
    if (pair === "") continue;
    const [key, value] = parseLabel(pair, `Input '${input}'`, "'branch=main', one per line");
    labels[key] = value;
  }
  return labels;
}

/**
 * A duration input (`90`, `1.5`, `30m`, `2h`, `1h30m`) → seconds, with the CLI's grammar
 * (util/duration.ts): `1h1h` is refused here as there.
 */
export function parseDuration(text: string, input: string): number {
  return parseDurationText(text, `Input '${input}'`);
}

/** A time to live: a duration, or `none` (until torn down) → undefined. */
export function parseTtlInput(text: string, input: string): number | undefined {
  return parseTtl(text, `Input '${input}'`);
}

/** A timeout in seconds; a duration is accepted too (`120`, `1.5`, `2m`). */
export function parseSeconds(text: string, input: string): number {
  return parseDurationText(text, `Input '${input}'`);
}

/** YAML 1.2 core-schema booleans, as @actions/core accepts them, with an error naming the input. */
export function parseBoolean(text: string | undefined, input: string, fallback: boolean): boolean {
  if (text === undefined || text.trim() === "") return fallback;
  const value = text.trim();
  if (["true", "True", "TRUE"].includes(value)) return true;
  if (["false", "False", "FALSE"].includes(value)) return false;
  throw new UsageError(`Input '${input}': '${text}' is not a boolean; use true or false.`);
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(text: string, input: string, choices: readonly T[]): T {
  const value = text.trim() as T;
  if (!choices.includes(value)) {
    throw new UsageError(`Input '${input}': '${text}' is not one of ${choices.join(", ")}.`);
  }
  return value;
}
