// packages/cli's prepack: bundle the CLI (as dist/cli/index.cjs is built) into packages/cli/dist/,
// so the published package is one self-contained file with no workspace or runtime dependencies.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildAll, repoRoot } from "./build.mjs";

const target = path.join(repoRoot, "packages/cli/dist");
const staging = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-pack-cli-"));
try {
  await buildAll(staging, { only: ["cli/index.cjs"] });
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  fs.copyFileSync(path.join(staging, "cli/index.cjs"), path.join(target, "dbclone.cjs"));
  fs.chmodSync(path.join(target, "dbclone.cjs"), 0o755);
  fs.copyFileSync(path.join(staging, "cli/licenses.txt"), path.join(target, "licenses.txt"));
} finally {
  fs.rmSync(staging, { recursive: true, force: true });
}
