// Policy input that trips a resource limit is a policy error (file named, exit 2), and the type
// classes the schema check relies on read both engines' type names.
import { describe, expect, it } from "vitest";
import { parsePolicy, PolicyError, typeClass } from "../../../packages/core/src/masking/index.js";
import { runCli } from "../cli/helpers.js";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// The "billion laughs": each level doubles the one before through aliases.
const aliasBomb = [
  "a: &a [x, x, x, x, x, x, x, x, x]",
  ...Array.from(
    { length: 9 },
    (_, i) =>
      `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(97 + i)}`)
        .join(", ")}]`,
  ),
  "databases: {}",
].join("\n");

describe("YAML resource limits", () => {
  it("an alias bomb is a PolicyError naming the file, not an unexpected error", () => {
    let failure: unknown;
    try {
      parsePolicy(aliasBomb, "bomb.yml");
    } catch (e) {
      failure = e;
    }
    expect(failure).toBeInstanceOf(PolicyError);
    expect((failure as PolicyError).message).toMatch(/^bomb\.yml: the YAML is refused by a resource limit \(.*alias/i);
    expect((failure as PolicyError).exitCode).toBe(2);
  });

  it("the CLI reports it as a usage error (exit 2) with the file, nothing built", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-bomb-"));
    try {
      fs.writeFileSync(path.join(dir, "bomb.yml"), aliasBomb);
      fs.writeFileSync(path.join(dir, "x.dump"), "");
      const r = await runCli(["scan", path.join(dir, "x.dump"), "--policy", path.join(dir, "bomb.yml")], { DBCLONE_HOME: path.join(dir, "home") });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/bomb\.yml: the YAML is refused by a resource limit/);
      expect(r.stderr).not.toMatch(/unexpected error/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("type classes of the schema check", () => {
  it.each([
    ["text", "text"],
    ["character varying(80)", "text"],
    ["nvarchar", "text"],
    ["citext", "text"],
    ["integer", "number"],
    ["bigint", "number"],
    ["numeric(10,2)", "number"],
    ["decimal", "number"],
    ["date", "time"],
    ["timestamp with time zone", "time"],
    ["datetime2", "time"],
    ["uuid", "other"],
    ["jsonb", "other"],
    ["integer[]", "other"],
    ["boolean", "other"],
    ["email_domain", "unknown"],
    ["mood", "unknown"],
  ])("%s is %s", (type, cls) => {
    expect(typeClass(type)).toBe(cls);
  });
});
