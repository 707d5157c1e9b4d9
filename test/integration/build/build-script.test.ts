// The bundling choices of scripts/build.mjs, proved on small probes so they hold whatever core contains.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bundleOptions } from "../../../scripts/build.mjs";
import { diffTrees } from "../../../scripts/diff-trees.mjs";

let tmp: string;
beforeEach(() => {
  // Inside the repo so the probes resolve node_modules like the real entries do.
  tmp = fs.mkdtempSync(path.join(import.meta.dirname, ".probe-"));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const probeSource = `
import pg from "pg";
import * as core from "@actions/core";
const client = new pg.Client({ host: "127.0.0.1", port: 1, user: "u", password: "p", database: "d" });
core.setOutput("client", typeof client.connect);
core.setOutput("url", import.meta.url);
`;

async function bundleProbe(name: string, source: string, cli = false): Promise<string> {
  const entry = path.join(tmp, `${name}.ts`);
  fs.writeFileSync(entry, source);
  const outfile = path.join(tmp, "out", `${name}.cjs`);
  await build(bundleOptions(entry, outfile, { cli }));
  return outfile;
}

function runNode(file: string) {
  const outputFile = path.join(tmp, "github-output");
  fs.writeFileSync(outputFile, "");
  const r = spawnSync(process.execPath, [file], { env: { PATH: process.env.PATH, GITHUB_OUTPUT: outputFile }, encoding: "utf8" });
  return { ...r, outputs: fs.readFileSync(outputFile, "utf8") };
}

describe("bundles built by scripts/build.mjs", () => {
  it("run pg and @actions/core as CommonJS (no 'Dynamic require of net'), pg-native left out", async () => {
    const file = await bundleProbe("probe", probeSource);
    const r = runNode(file);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.outputs).toContain("\nfunction\n");
    // import.meta.url is the bundle's own file URL, not undefined
    expect(r.outputs).toContain(`file://${file}`);
    const text = fs.readFileSync(file, "utf8");
    expect(text).toContain('require("pg-native")');
    expect(text).not.toMatch(/^\s*(import|export) /m);
  });

  it("are byte-identical when built twice", async () => {
    const a = fs.readFileSync(await bundleProbe("probe", probeSource));
    fs.rmSync(path.join(tmp, "out"), { recursive: true });
    const b = fs.readFileSync(await bundleProbe("probe", probeSource));
    expect(a.equals(b)).toBe(true);
  });

  it("give the CLI exactly one #!/usr/bin/env node line, with or without one in the source", async () => {
    for (const [name, source] of [
      ["plain", 'console.log("hi");'],
      ["hashbang", '#!/usr/bin/env node\nconsole.log("hi");'],
    ] as const) {
      const file = await bundleProbe(name, source, true);
      const text = fs.readFileSync(file, "utf8");
      expect(text.startsWith("#!/usr/bin/env node\n")).toBe(true);
      expect(text.match(/#!\/usr\/bin\/env node/g)).toHaveLength(1);
      expect(runNode(file).stdout).toBe("hi\n");
    }
  });
});

describe("check-dist's comparison", () => {
  it("lists files missing on either side and files whose bytes differ", () => {
    const fresh = path.join(tmp, "fresh");
    const committed = path.join(tmp, "committed");
    for (const [dir, files] of [
      [fresh, { "a/index.cjs": "same", "a/post.cjs": "new", "b/index.cjs": "only fresh" }],
      [committed, { "a/index.cjs": "same", "a/post.cjs": "old", "c/index.cjs": "stale" }],
    ] as const) {
      for (const [f, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), text);
      }
    }
    expect(diffTrees(fresh, committed)).toEqual([
      "a/post.cjs (content differs)",
      "b/index.cjs (missing from dist/)",
      "c/index.cjs (not produced by a fresh build)",
    ]);
    expect(diffTrees(fresh, fresh)).toEqual([]);
  });

  it("ignores the CLI's V8 code cache (written beside main.cjs at run time) and a writer's temp file of it, nothing else", () => {
    const fresh = path.join(tmp, "fresh-cc");
    const committed = path.join(tmp, "committed-cc");
    for (const dir of [fresh, committed]) {
      fs.mkdirSync(path.join(dir, "cli"), { recursive: true });
      fs.writeFileSync(path.join(dir, "cli/main.cjs"), "same");
    }
    fs.writeFileSync(path.join(committed, "cli/main.cjs.v8cache"), "cache");
    fs.writeFileSync(path.join(committed, "cli/main.cjs.v8cache.123.ab12cd34.tmp"), "half a cache");
    expect(diffTrees(fresh, committed)).toEqual([]);
    fs.writeFileSync(path.join(committed, "cli/main.cjs.v8cache.txt"), "not a cache");
    expect(diffTrees(fresh, committed)).toEqual(["cli/main.cjs.v8cache.txt (not produced by a fresh build)"]);
  });
});
