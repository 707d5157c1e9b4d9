import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../../packages/core/src/errors.js";
import {
  multilineInput,
  optionalInput,
  parseBoolean,
  parseChoice,
  parseDuration,
  parseLabels,
  parseSeconds,
  requiredInput,
} from "../../../actions/shared/inputs.js";

const setInputs: string[] = [];
function setInput(name: string, value: string) {
  const key = `INPUT_${name.toUpperCase()}`;
  process.env[key] = value;
  setInputs.push(key);
}
afterEach(() => {
  for (const k of setInputs.splice(0)) delete process.env[k];
});

describe("reading inputs", () => {
  it("reads hyphenated inputs from INPUT_<NAME> with the hyphen kept, trimmed", () => {
    setInput("from-dump", "  /data/a.dump \n");
    expect(optionalInput("from-dump")).toBe("/data/a.dump");
  });

  it("treats an empty input as absent", () => {
    setInput("name", "   ");
    expect(optionalInput("name")).toBeUndefined();
  });

  it("names a missing required input in the error", () => {
    expect(() => requiredInput("image")).toThrowError(UsageError);
    expect(() => requiredInput("image")).toThrowError(/Input 'image' is required/);
  });

  it("splits multi-line inputs, skipping blanks and # comments", () => {
    setInput("from-dump", "/a.dump\n\n  # the big one\n/b.dump\n");
    expect(multilineInput("from-dump")).toEqual(["/a.dump", "/b.dump"]);
  });
});

describe("parseLabels", () => {
  it("reads key=value lines and comma-separated pairs; values may hold '='", () => {
    expect(parseLabels("branch=main\npr=42, team=data\nq=a=b", "labels")).toEqual({ branch: "main", pr: "42", team: "data", q: "a=b" });
  });

  it("names the input and the bad item", () => {
    expect(() => parseLabels("branch", "labels")).toThrowError(/Input 'labels': 'branch' is not a label/);
    expect(() => parseLabels("=x", "labels")).toThrowError(UsageError);
  });

  it("is empty for an absent input", () => {
    expect(parseLabels(undefined, "labels")).toEqual({});
  });
});

describe("parseDuration", () => {
  it.each([
    ["90", 90],
    ["90s", 90],
    ["30m", 1800],
    ["2h", 7200],
    ["1d", 86400],
    ["1h30m", 5400],
    [" 2H ", 7200],
  ])("%s → %d seconds", (text, seconds) => {
    expect(parseDuration(text, "ttl")).toBe(seconds);
  });

  it.each(["forever", "2 hours", "h", "1h-5m", "0", "0m", "-5m", "1h1h", "30m1h"])("refuses %s naming the input", (text) => {
    expect(() => parseDuration(text, "ttl")).toThrowError(/Input 'ttl'/);
  });
});

describe("parseBoolean / parseSeconds / parseChoice", () => {
  it("accepts the YAML booleans and falls back when empty", () => {
    expect(parseBoolean("true", "keep", false)).toBe(true);
    expect(parseBoolean("False", "keep", true)).toBe(false);
    expect(parseBoolean(undefined, "keep", true)).toBe(true);
  });

  it("refuses yes/1 with an error naming the input", () => {
    expect(() => parseBoolean("yes", "keep", false)).toThrowError(/Input 'keep': 'yes' is not a boolean/);
    expect(() => parseBoolean("1", "reset", false)).toThrowError(/'reset'/);
  });

  it("reads seconds with the one duration grammar: 120, 1.5, 2m", () => {
    expect(parseSeconds("120", "timeout")).toBe(120);
    expect(parseSeconds("1.5", "timeout")).toBe(1.5);
    expect(parseSeconds("2m", "timeout")).toBe(120);
    expect(() => parseSeconds("1m1m", "timeout")).toThrowError(/Input 'timeout'/);
    expect(() => parseSeconds("0", "timeout")).toThrowError(/greater than zero/);
  });

  it("lists the choices when the value is not one of them", () => {
    expect(parseChoice("durable", "durability", ["ephemeral", "durable"])).toBe("durable");
    expect(() => parseChoice("fast", "durability", ["ephemeral", "durable"])).toThrowError(/not one of ephemeral, durable/);
  });
});
