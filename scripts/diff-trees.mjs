// Compare two directory trees file by file (used by check-dist.mjs).
import fs from "node:fs";
import path from "node:path";

export function listFiles(dir, base = dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => !isRuntimeCache(e.name))
    .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name))]))
    .sort();
}

/** The CLI's V8 code cache, written beside main.cjs at run time (packages/cli/src/code-cache.ts): not built, not compared. */
const isRuntimeCache = (name) => /\.v8cache(\.[^/]*\.tmp)?$/.test(name);

/** Files that differ between two trees: missing on either side or different bytes. */
export function diffTrees(expectedDir, actualDir) {
  const expected = listFiles(expectedDir);
  const actual = listFiles(actualDir);
  const differing = [];
  for (const f of new Set([...expected, ...actual])) {
    const a = path.join(expectedDir, f);
    const b = path.join(actualDir, f);
    if (!fs.existsSync(a)) differing.push(`${f} (not produced by a fresh build)`);
    else if (!fs.existsSync(b)) differing.push(`${f} (missing from dist/)`);
    else if (!fs.readFileSync(a).equals(fs.readFileSync(b))) differing.push(`${f} (content differs)`);
  }
  return differing.sort();
}
