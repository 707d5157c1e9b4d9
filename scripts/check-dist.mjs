// Fail when dist/ is not what a fresh build produces (the actions/cache check-dist habit):
// rebuild into a temp dir and byte-compare every file both ways.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildAll, repoRoot } from "./build.mjs";
import { diffTrees } from "./diff-trees.mjs";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-check-dist-"));
let exitCode = 0;
try {
  await buildAll(tmp, { log: { warn: (m) => console.warn(m) } });
  const differing = diffTrees(tmp, path.join(repoRoot, "dist"));
  if (differing.length) {
    console.error(`dist/ is out of date:\n${differing.map((f) => `  dist/${f}`).join("\n")}\nRun npm run build and commit dist/.`);
    exitCode = 1;
  } else {
    console.log("dist/ matches a fresh build.");
  }
} catch (e) {
  console.error(`check-dist: the fresh build failed: ${e.errors ? `${e.errors.length} error(s) above` : e.message}`);
  exitCode = 1;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(exitCode);
