// The dependency gate as `npm test` runs it: scripts/check-deps.mjs as a process over a small
// source tree (bundled by esbuild like the real one). A clean tree passes; a planted area cycle and
// a planted (type-only) layer climb fail the run, each named; a baseline lets known violations pass
// and reports the entries that no longer occur. Last, the repository itself passes with its baseline.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const repoRoot = path.resolve(import.meta.dirname, "../../..");
const script = path.join(repoRoot, "scripts/check-deps.mjs");

let root: string;
const write = (file: string, text: string) => {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
};
const checkDeps = (...args: string[]) => {
  const r = spawnSync(process.execPath, [script, "--root", root, ...args], { cwd: repoRoot, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

/** A clean tree: cli → build → engine → util, each through its area's index.ts. */
function cleanTree(): void {
  write("packages/core/src/util/index.ts", "export const twice = (n: number): number => 2 * n;\n");
  write("packages/core/src/image/index.ts", "export interface ImageName { name: string }\n");
  write("packages/core/src/engine/index.ts", 'import { twice } from "../util/index.js";\nexport const engineSize = (): number => twice(21);\n');
  write("packages/core/src/masking/index.ts", 'import { twice } from "../util/index.js";\nexport const maskCount = (): number => twice(1);\n');
  write(
    "packages/core/src/build/index.ts",
    'import { engineSize } from "../engine/index.js";\nimport { maskCount } from "../masking/index.js";\nexport const build = (): number => engineSize() + maskCount();\n',
  );
  write("packages/core/src/index.ts", 'export * from "./build/index.js";\n');
  write("packages/cli/src/index.ts", 'import { build } from "../../core/src/build/index.js";\nconsole.log(build());\n');
  mkdirSync(path.join(root, "actions"), { recursive: true });
}

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "dbclone-check-deps-"));
  cleanTree();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("check-deps as a gate", () => {
  it("passes the clean tree", () => {
    const r = checkDeps();
    expect(r.out).toMatch(/check-deps: \d+ files, 0 violation\(s\)/);
    expect(r.code).toBe(0);
  });

  it("fails a planted area cycle and a planted type-only layer climb, naming both", () => {
    // Cycle: engine → masking → engine (masking/tables.ts climbs back into engine).
    write("packages/core/src/engine/mask-step.ts", 'import { tableCount } from "../masking/tables.js";\nexport const maskStep = (): number => tableCount();\n');
    write("packages/core/src/masking/tables.ts", 'import { engineSize } from "../engine/index.js";\nexport const tableCount = (): number => engineSize();\n');
    // Layer climb, type-only: util may not know image (esbuild drops this import; the regex pass sees it).
    write("packages/core/src/util/names.ts", 'import type { ImageName } from "../image/index.js";\nexport const nameOf = (i: ImageName): string => i.name;\n');
    const r = checkDeps();
    expect(r.code).toBe(1);
    expect(r.out).toContain("import cycle between areas engine → masking → engine");
    expect(r.out).toContain("packages/core/src/engine/mask-step.ts:1 → packages/core/src/masking/tables.ts");
    expect(r.out).toContain("packages/core/src/util/names.ts:1 (util) imports packages/core/src/image/index.ts (image): climbs the layer order (type-only)");
  });

  it("fails a non-index core import from the CLI", () => {
    write(
      "packages/cli/src/extra.ts",
      'import { twice } from "../../core/src/util/index.js";\nimport { engineSize } from "../../core/src/engine/index.js";\nexport const x = twice(engineSize());\n',
    );
    write("packages/core/src/engine/size.ts", "export const size = 1;\n");
    write("packages/cli/src/deep.ts", 'import { size } from "../../core/src/engine/size.js";\nexport const y = size;\n');
    write("packages/cli/src/index.ts", 'import "./extra.js";\nimport "./deep.js";\n');
    const r = checkDeps();
    expect(r.code).toBe(1);
    expect(r.out).toContain("packages/cli/src/deep.ts:1 imports packages/core/src/engine/size.ts, not an area index.ts");
    expect(r.out).not.toContain("extra.ts");
  });

  it("lets baseline entries pass, fails only new violations, and lists entries that no longer occur", () => {
    write("packages/core/src/util/names.ts", 'import type { ImageName } from "../image/index.js";\nexport const nameOf = (i: ImageName): string => i.name;\n');
    const keys = checkDeps("--print-keys").out.trim().split("\n");
    expect(keys).toEqual(["layer:packages/core/src/util/names.ts->packages/core/src/image/index.ts"]);
    const stale = "layer:packages/core/src/gone.ts->packages/core/src/build/index.ts";
    write("baseline.txt", `# known violations\n${keys[0]}\n${stale}\n`);
    const allowed = checkDeps("--allow-file", path.join(root, "baseline.txt"));
    expect(allowed.code).toBe(0);
    expect(allowed.out).toContain("0 violation(s), 1 allowed by baseline, 1 fixed");
    expect(allowed.out).toContain(`Fixed (remove from the baseline):\n  ${stale}`);
    // A new violation beside the known one still fails.
    write("packages/core/src/engine/mask-step.ts", 'import { maskCount } from "../masking/index.js";\nexport const m = maskCount();\n');
    write("packages/core/src/masking/tables.ts", 'import { engineSize } from "../engine/index.js";\nexport const t = engineSize();\n');
    const fresh = checkDeps("--allow-file", path.join(root, "baseline.txt"));
    expect(fresh.code).toBe(1);
    expect(fresh.out).toContain("import cycle between areas engine → masking → engine");
  });

  it("passes this repository with its baseline (what npm test runs)", () => {
    const r = spawnSync(process.execPath, [script, "--allow-file", path.join(repoRoot, "docs/dev/check-deps-baseline.txt")], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(`${r.stdout}${r.stderr}`).toMatch(/check-deps: \d+ files, 0 violation\(s\)/);
    expect(r.status).toBe(0);
  });
});
