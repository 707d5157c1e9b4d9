// scripts/ascii-bundle.mjs: a bundle's comments are rewritten to ASCII (so Node reads it as a one-byte
// string), and a non-ASCII character anywhere else refuses the build instead of changing the code.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { asciiOnly } from "../../../scripts/ascii-bundle.mjs";

const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-ascii-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe("asciiOnly", () => {
  it("rewrites non-ASCII characters in comments, and leaves the code as it was", async () => {
    const file = write("comments.cjs", '#!/usr/bin/env node\n// a → b — c…\n/** x × y ✓ */\nmodule.exports = "\\u2192";\n');
    await asciiOnly(file);
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^[\x00-\x7f]*$/);
    expect(text).toBe('#!/usr/bin/env node\n// a -> b -- c...\n/** x x y \\u{2713} */\nmodule.exports = "\\u2192";\n');
  });

  it("refuses non-ASCII outside comments (a tagged template's raw text), and leaves the file alone", async () => {
    const source = 'const html = (s) => s.raw.join("");\nmodule.exports = html`a · b`;\n';
    const file = write("template.cjs", source);
    await expect(asciiOnly(file)).rejects.toThrow(/non-ASCII characters outside comments/);
    expect(readFileSync(file, "utf8")).toBe(source);
  });

  it("leaves an ASCII file untouched", async () => {
    const file = write("plain.cjs", "module.exports = 1; // plain\n");
    await asciiOnly(file);
    expect(readFileSync(file, "utf8")).toBe("module.exports = 1; // plain\n");
  });
});
