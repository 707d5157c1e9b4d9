// packages/cli's prepack: bundle the CLI (as dist/cli/ is built) into packages/cli/dist/, so the
// published package is self-contained with no workspace or runtime dependencies: the tiny bin
// (dbclone.cjs, from dist/cli/index.cjs), main.cjs it requires (clone.cjs for `dbclone clone`), the
// vendor/*.cjs they load on use, and mapping-worker.cjs, the masking worker threads main.cjs starts
// from beside itself.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildAll, repoRoot } from "./build.mjs";

const target = path.join(repoRoot, "packages/cli/dist");
const staging = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-pack-cli-"));
try {
  await buildAll(staging, { only: ["cli/index.cjs", "cli/main.cjs", "cli/clone.cjs", "cli/mapping-worker.cjs"] });
  fs.rmSync(target, { recursive: true, force: true });
  fs.cpSync(path.join(staging, "cli"), target, { recursive: true });
  fs.renameSync(path.join(target, "index.cjs"), path.join(target, "dbclone.cjs"));
  fs.chmodSync(path.join(target, "dbclone.cjs"), 0o755);
} finally {
  fs.rmSync(staging, { recursive: true, force: true });
}
