// Parsers for option values shared by several commands.
import { UsageError } from "../../core/src/errors.js";
import { parseLabel } from "../../core/src/image/index.js";

/** Collect a repeatable option into an array. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Repeatable `--label key=value` into a record. */
export function collectLabel(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const [key, label] = parseLabel(value, "--label", "--label pr=42");
  return { ...previous, [key]: label };
}

export function positiveInteger(what: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) <= 0) throw new UsageError(`${what} must be a whole number greater than zero, got '${value}'`);
    return Number(value);
  };
}

/** Examples appended to a command's --help. */
export const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
