// Bundles as pure ASCII. esbuild already escapes every non-ASCII character in code (its default
// charset), but keeps the comments it keeps as written, and a single "—" in a comment makes Node read
// the whole bundle into a two-byte string: reading and hashing the 0.9 MB clone.cjs took ~3 ms more
// at every `dbclone clone` (code-cache.ts reads and hashes the text before anything runs).
import fs from "node:fs";
import { transform } from "esbuild";

const READABLE = new Map([
  ["\u2014", "--"],
  ["\u2013", "-"],
  ["\u2026", "..."],
  ["\u2192", "->"],
  ["\u2190", "<-"],
  ["\u00d7", "x"],
  ["\u2018", "'"],
  ["\u2019", "'"],
  ["\u201c", '"'],
  ["\u201d", '"'],
]);

/** Rewrite `file`'s non-ASCII characters, which must all be inside comments (checked: its code, minified, is unchanged). */
export async function asciiOnly(file) {
  const text = fs.readFileSync(file, "utf8");
  if (!/[^\x00-\x7f]/.test(text)) return;
  const ascii = text.replace(/[^\x00-\x7f]/gu, (c) => READABLE.get(c) ?? `\\u{${c.codePointAt(0).toString(16)}}`);
  // Minified output has no comments: equal only when nothing but comments changed.
  const [before, after] = await Promise.all(
    [text, ascii].map(async (t) => (await transform(t, { minify: true, format: "cjs", platform: "node", logLevel: "silent" })).code),
  );
  if (before !== after) throw new Error(`${file} has non-ASCII characters outside comments: keep esbuild's default charset (ascii)`);
  fs.writeFileSync(file, ascii);
}
