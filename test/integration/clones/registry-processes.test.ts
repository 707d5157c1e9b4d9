// Ten processes reserve clones in one registry at once: the file lock must keep ids and ports
// unique. Needs a bundle of the registry (esbuild) and child processes, so it is an integration test.
import { spawn } from "node:child_process";
import { mkdtempSync, promises as fs, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CloneRegistry } from "../../../packages/core/src/clones/registry.js";
import type { CloneRecord } from "../../../packages/core/src/clones/types.js";

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), "dbclone-registry-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe("CloneRegistry across processes", () => {
  let bundleDir: string;
  let bundle: string;
  beforeAll(async () => {
    bundleDir = mkdtempSync(path.join(os.tmpdir(), "dbclone-registry-bundle-"));
    bundle = path.join(bundleDir, "registry.mjs");
    await build({
      entryPoints: [path.resolve(__dirname, "../../../packages/core/src/clones/registry.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile: bundle,
      logLevel: "silent",
      // proper-lockfile is CommonJS that calls require("fs"): give the ESM bundle a require.
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
  });
  afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

  const runChild = (script: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (b) => (stdout += b));
      child.stderr.on("data", (b) => (stderr += b));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });

  it("10 concurrent processes reserving 3 clones each never share an id or a port", async () => {
    const script = `
      import { CloneRegistry } from ${JSON.stringify(bundle)};
      const reg = new CloneRegistry(${JSON.stringify(home)});
      const out = [];
      for (let i = 0; i < 3; i++) {
        const r = await reg.reserve({ image: { name: "o", version: "1", manifestDigest: "x", diskDigest: "y" }, engine: "postgres",
          host: "127.0.0.1", runtime: "host", password: "p", databases: [], labels: { pid: String(process.pid) }, repository: "/r" }); // the default port range: each port is checked free
        out.push({ id: r.id, port: r.port });
      }
      console.log(JSON.stringify(out));`;
    const results = await Promise.all(Array.from({ length: 10 }, () => runChild(script)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const handed = results.flatMap((r) => JSON.parse(r.stdout) as { id: string; port: number }[]);
    expect(handed).toHaveLength(30);
    expect(new Set(handed.map((h) => h.id)).size).toBe(30);
    expect(new Set(handed.map((h) => h.port)).size).toBe(30);
    const stored: CloneRecord[] = await new CloneRegistry(home).list();
    expect(stored.map((s) => s.id).sort()).toEqual(handed.map((h) => h.id).sort());
    expect(await fs.readdir(path.join(home, "clones"))).toEqual(["registry.json"]);
  }, 60_000);
});
