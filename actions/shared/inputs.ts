// Parsing of action inputs. Every error names the input, so a user knows which `with:` line to fix.
import * as core from "@actions/core";
import { UsageError } from "../../packages/core/src/errors.js";

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
    const eq = pair.indexOf("=");
    const key = eq > 0 ? pair.slice(0, eq).trim() : "";
    if (key === "" || !/^[A-Za-z0-9_.\/-]+$/.test(key)) {
      throw new UsageError(`Input '${input}': '${pair}' is not a label; write one key=value per line, e.g. 'branch=main'.`);
    }
    labels[key] = pair.slice(eq + 1).trim();
  }
  return labels;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `90s`, `30m`, `2h`, `1d`, `1h30m` → seconds. A bare number is seconds. */
export function parseDuration(text: string, input: string): number {
  const value = text.trim().toLowerCase();
  if (/^\d+$/.test(value)) return positive(Number(value), text, input);
  const parts = [...value.matchAll(/(\d+)([smhd])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value) {
    throw new UsageError(`Input '${input}': '${text}' is not a duration; use e.g. 90s, 30m, 2h, 1d or 1h30m.`);
  }
  const seconds = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_SECONDS[p[2]!]!, 0);
  return positive(seconds, text, input);
}

/** A whole number of seconds (e.g. a timeout). */
export function parseSeconds(text: string, input: string): number {
  const value = text.trim();
  if (!/^\d+$/.test(value)) throw new UsageError(`Input '${input}': '${text}' is not a whole number of seconds.`);
  return positive(Number(value), text, input);
}

function positive(n: number, text: string, input: string): number {
  if (n <= 0) throw new UsageError(`Input '${input}': '${text}' must be greater than zero.`);
  return n;
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
