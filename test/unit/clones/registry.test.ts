import { spawn } from "node:child_process";
import { mkdtempSync, promises as fs, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CloneRegistry, type CloneDraft } from "../../../packages/core/src/clones/registry.js";
import { CLONE_ID_PATTERN, cloneIdForIdentifier, newCloneId } from "../../../packages/core/src/clones/clone-id.js";
import { allocatePort } from "../../../packages/core/src/clones/ports.js";
import type { CloneRecord } from "../../../packages/core/src/clones/types.js";

const draft = (over: Partial<CloneDraft> = {}): CloneDraft => ({
  image: { name: "orders", version: "1", manifestDigest: "sha256:" + "a".repeat(64), diskDigest: "sha256:" + "b".repeat(64) },
  engine: "postgres",
  host: "127.0.0.1",
  runtime: "host",
  password: "s3cret-pw",
  databases: ["orders"],
  labels: {},
  repository: "/repo",
  ...over,
});

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), "dbclone-registry-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe("clone ids", () => {
  it("are c- plus 10 lowercase base32 characters, usable in SQL identifiers once '-' becomes '_'", () => {
    const ids = new Set(Array.from({ length: 2000 }, newCloneId));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(CLONE_ID_PATTERN);
    expect(cloneIdForIdentifier("c-abcdefgh23")).toMatch(/^[a-z_][a-z0-9_]*$/);
  });
});

describe("CloneRegistry", () => {
  it("starts empty when the file does not exist and creates it with mode 0600 on first write", async () => {
    const reg = new CloneRegistry(home);
    expect(await reg.list()).toEqual([]);
    expect(await reg.get("c-nothere000")).toBeUndefined();
    const rec = await reg.reserve(draft({ name: "pr-42", labels: { pr: "42" } }));
    expect(statSync(reg.file).mode & 0o777).toBe(0o600);
    expect(rec.state).toBe("creating");
    expect(rec.id).toMatch(CLONE_ID_PATTERN);
    expect(rec.dir).toBe(path.join(home, "clones", rec.id));
    expect(rec.childFile).toBe(path.join(rec.dir, "child.qcow2"));
    expect(rec.user).toBe(`clone_${cloneIdForIdentifier(rec.id)}`);
    expect(rec.port).toBeGreaterThanOrEqual(15432);
    expect(rec.port).toBeLessThanOrEqual(16431);
    expect(await reg.get(rec.id)).toEqual(rec);
    expect(await reg.get("pr-42")).toEqual(rec);
    expect(await reg.findByName("pr-42")).toEqual(rec);
    expect(await reg.findByLabels({ pr: "42" })).toEqual([rec]);
    expect(await reg.findByLabels({ pr: "43" })).toEqual([]);
    expect(await reg.findByLabels({})).toEqual([]);
  });

  it("patches and removes records; removing a missing record is not an error", async () => {
    const reg = new CloneRegistry(home);
    const rec = await reg.reserve(draft());
    const ready = await reg.patch(rec.id, { state: "ready", serverPid: 1234 });
    expect(ready).toMatchObject({ id: rec.id, state: "ready", serverPid: 1234, port: rec.port });
    expect((await reg.get(rec.id))?.state).toBe("ready");
    await reg.remove(rec.id);
    await reg.remove(rec.id);
    expect(await reg.list()).toEqual([]);
    await expect(reg.patch(rec.id, { state: "ready" })).rejects.toThrow(/not in the registry/);
  });

  it("refuses a second reservation under a name that is already live", async () => {
    const reg = new CloneRegistry(home);
    await reg.reserve(draft({ name: "feature-x" }));
    await expect(reg.reserve(draft({ name: "feature-x" }))).rejects.toThrow(/already exists.*teardown --name feature-x/);
    expect(await reg.list()).toHaveLength(1);
  });

  it("never hands out a port that is in use on the host or held by a record", async () => {
    const reg = new CloneRegistry(home);
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(15500, "127.0.0.1", r));
    try {
      const a = await reg.reserve(draft(), { range: [15499, 15501] });
      const b = await reg.reserve(draft(), { range: [15499, 15501] });
      expect([a.port, b.port].sort()).toEqual([15499, 15501]);
      await expect(reg.reserve(draft(), { range: [15499, 15501] })).rejects.toThrow(/no free port in 15499-15501/);
      await expect(allocatePort(reg, { range: [15499, 15501] })).rejects.toThrow(/no free port/);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("writes nothing when a transaction throws", async () => {
    const reg = new CloneRegistry(home);
    const rec = await reg.reserve(draft());
    await expect(
      reg.update((records) => {
        records.length = 0;
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await reg.list()).toEqual([rec]);
  });

  it("reports a corrupt registry file clearly instead of overwriting it", async () => {
    const reg = new CloneRegistry(home);
    await fs.mkdir(reg.dir, { recursive: true });
    writeFileSync(reg.file, "{not json");
    await expect(reg.list()).rejects.toThrow(/not valid JSON.*fix or move it aside/);
    await expect(reg.reserve(draft())).rejects.toThrow(/not valid JSON/);
  });
});

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
          host: "127.0.0.1", runtime: "host", password: "p", databases: [], labels: { pid: String(process.pid) }, repository: "/r" },
          { range: [15600, 15700] });
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
