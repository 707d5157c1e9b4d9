// dist/cli as shipped: a tiny bin, main.cjs beside it (clone.cjs for `dbclone clone`), and vendor/*.cjs
// that they load on first use (scripts/lazy-vendor.mjs). Each file a run loads is traced with a --require hook, so these tests
// fail both when a command loads a heavy tree it does not need and when a lazily loaded tree no
// longer works through its shim (named exports, a constructor, a class's static methods).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listTree, publishFixture, runCli } from "../../unit/cli/helpers.js";

const repoRoot = path.resolve(import.meta.dirname, "../../..");
const bin = path.join(repoRoot, "dist/cli/index.cjs");
let tmp: string;
let trace: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-lazy-chunks-"));
  trace = path.join(tmp, "trace.cjs");
  fs.writeFileSync(
    trace,
    `const M = require("node:module"); const load = M._load;
M._load = function (request) { if (/\\.cjs$/.test(request)) process.stderr.write("[load] " + request + "\\n"); return load.apply(this, arguments); };
// The bin compiles main.cjs itself (vm.Script, with its code cache): traced there.
const vm = require("node:vm"); const Script = vm.Script;
vm.Script = class extends Script { constructor(code, o) { super(code, o); if (/\\.cjs$/.test(o?.filename ?? "")) process.stderr.write("[load] " + o.filename + "\\n"); } };\n`,
  );
  fs.mkdirSync(path.join(tmp, "repo"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function dbclone(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ["--require", trace, bin, ...args], {
    env: { PATH: process.env.PATH, DBCLONE_HOME: path.join(tmp, "home"), DBCLONE_REPO: path.join(tmp, "repo"), ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  const loaded = [...r.stderr.matchAll(/^\[load\] (.*)$/gm)].map((m) => path.basename(m[1]!)).filter((f) => f !== "index.cjs");
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^\[load\] .*\n/gm, ""), loaded };
}

describe("the split CLI bundle", () => {
  it("bundles only the zod the manifest uses: a namespace import, so zod's JSON-schema converters stay out", () => {
    // `import { z } from "zod"` keeps every export of the z object (200 kB more to parse at every start).
    for (const bundle of ["dist/cli/main.cjs", "dist/clone-db/index.cjs"]) {
      const text = fs.readFileSync(path.join(repoRoot, bundle), "utf8");
      expect(text, bundle).toContain("node_modules/zod/v4/classic/schemas.js");
      expect(text, bundle).not.toContain("node_modules/zod/v4/classic/from-json-schema.js");
    }
  });

  it("connects with the bundled pg without loading node's fetch (undici): pg's Cloudflare test is folded away at build time", () => {
    // pg asks `typeof Response` on load; on Node 20 that pulls in all of undici (~15 ms of every clone).
    const probe = `const pg = require(${JSON.stringify(path.join(repoRoot, "dist/cli/vendor/pg.cjs"))});
new pg.Client({ host: "/nonexistent", port: 1 }).connect().catch(() => {
  process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => /undici|fetch/.test(m))));
});`;
    const r = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", timeout: 30_000 });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([]);
    // The probe itself can see undici when something does load it.
    const control = spawnSync(
      process.execPath,
      ["-e", "void Response; process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => /undici/.test(m))))"],
      {
        encoding: "utf8",
      },
    );
    expect(JSON.parse(control.stdout).length).toBeGreaterThan(0);
  });

  it("has no import() in main.cjs: the bin compiles it through vm.Script (its code cache), where import() cannot load anything", () => {
    const text = fs.readFileSync(path.join(repoRoot, "dist/cli/main.cjs"), "utf8");
    expect(text.match(/[^\w.$]import\(/g) ?? []).toEqual([]);
  });

  it("runs `dbclone clone` from clone.cjs, which holds that command alone (and no import(): the bin compiles it too)", () => {
    const help = dbclone(["clone", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: dbclone clone \[options\] <ref>/);
    expect(help.stdout).toMatch(/--repo <dir>/);
    expect(help.loaded).toEqual(["clone.cjs"]);
    const missing = dbclone(["clone", "nosuch:v1", "--json"]);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error.code).toBe("image-not-found");
    expect(missing.loaded[0]).toBe("clone.cjs");
    expect(missing.loaded).not.toContain("main.cjs");
    const text = fs.readFileSync(path.join(repoRoot, "dist/cli/clone.cjs"), "utf8");
    expect([...text.matchAll(/\.command\("([a-z-]+)"\)/g)].map((m) => m[1])).toEqual(["clone"]);
    expect(text.match(/[^\w.$]import\(/g) ?? []).toEqual([]);
  });

  it("bundles pg into clone.cjs (under the code cache) with its vendor file's load-time folds, as pure ASCII", () => {
    const text = fs.readFileSync(path.join(repoRoot, "dist/cli/clone.cjs"), "utf8");
    expect(text).toContain("node_modules/pg/lib/client.js");
    expect(text).not.toContain("vendor/pg.cjs");
    // pg's Cloudflare test (which would load undici) folded away, WebCrypto loaded on first use only.
    expect(text).not.toMatch(/typeof Response/);
    expect(text).toContain("webCryptoOf()");
    // One non-ASCII character would make node read (and the bin hash) all of it as a two-byte string.
    expect(text).toMatch(/^[\x00-\x7f]*$/);
    // main.cjs still loads pg from its vendor file, which stays.
    expect(fs.existsSync(path.join(repoRoot, "dist/cli/vendor/pg.cjs"))).toBe(true);
  });

  it("starts `dbclone clone` without node:assert: proper-lockfile's signal-exit gets a shim for its one check", () => {
    const probe = path.join(tmp, "builtins.cjs");
    fs.writeFileSync(probe, `process.on("exit", () => process.stderr.write("[builtins] " + JSON.stringify(process.moduleLoadList) + "\\n"));\n`);
    const r = spawnSync(process.execPath, ["--require", probe, bin, "clone", "nosuch:v1", "--json"], {
      env: { PATH: process.env.PATH, DBCLONE_HOME: path.join(tmp, "home"), DBCLONE_REPO: path.join(tmp, "repo") },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(JSON.parse(r.stdout).error.code).toBe("image-not-found");
    const builtins = JSON.parse(/^\[builtins\] (.*)$/m.exec(r.stderr)![1]!) as string[];
    expect(builtins).toContain("NativeModule fs/promises"); // the probe sees what the run loaded
    expect(builtins).not.toContain("NativeModule assert");
  });

  it("answers --version from the bin alone, without main.cjs", () => {
    const r = dbclone(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${JSON.parse(fs.readFileSync(path.join(repoRoot, "packages/cli/package.json"), "utf8")).version}\n`);
    expect(r.loaded).toEqual([]);
  });

  it("runs --help and images --json with main.cjs and no vendor file", () => {
    const help = dbclone(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: dbclone/);
    expect(help.loaded).toEqual(["main.cjs"]);
    const images = dbclone(["images", "--json"]);
    expect(images.stderr).toBe("");
    expect(JSON.parse(images.stdout)).toEqual([]);
    expect(images.loaded).toEqual(["main.cjs"]);
  });

  it("loads ajv and yaml when a policy is read, and their errors still name the file and line", () => {
    const policy = path.join(tmp, "bad.yml");
    fs.writeFileSync(policy, "# a comment\ndatabases: 5\n");
    const dump = path.join(tmp, "any.dump");
    fs.writeFileSync(dump, "");
    const r = dbclone(["scan", dump, "--policy", policy, "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toEqual({ code: "policy", message: `${policy}:2:1: databases: must be object; see dbclone scan --help` });
    expect(r.loaded).toEqual(expect.arrayContaining(["main.cjs", "ajv.cjs", "yaml.cjs"]));
    expect(r.loaded).not.toContain("dockerode.cjs");
  });

  it("loads dockerode only when a Docker engine is configured, and constructs a working client through the shim", () => {
    const socket = path.join(tmp, "no-engine.sock");
    const r = dbclone(["gc", "--json", "--debug"], { DOCKER_HOST: `unix://${socket}` });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ expired: [], orphans: [], released: [] });
    // The message comes from a request dockerode (docker-modem) really made to the socket.
    expect(r.stderr).toContain(`did not answer (connect ENOENT ${socket})`);
    expect(r.loaded).toContain("dockerode.cjs");
    expect(r.loaded).not.toContain("faker-js-faker.cjs");
    // Without DOCKER_HOST gc looks at /var/run/docker.sock (dockerConfigured): only then dockerode.
    const without = dbclone(["gc", "--json"]);
    expect(without.code).toBe(0);
    expect(without.loaded.includes("dockerode.cjs")).toBe(fs.existsSync("/var/run/docker.sock"));
  });

  it("reports an invalid manifest with zod's English message, as the CLI run from source does (zod's other locales are left out)", async () => {
    const repo = path.join(tmp, "bad-repo");
    const env = { DBCLONE_REPO: repo, DBCLONE_HOME: path.join(tmp, "home") };
    await publishFixture(repo, env.DBCLONE_HOME, "shop", "v1");
    const manifests = (await listTree(repo)).filter((f) => /shop.v1\.json$/.test(f));
    expect(manifests).toHaveLength(1);
    const file = path.join(repo, manifests[0]!);
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, "utf8")), name: 5 }));
    const bundled = dbclone(["show", "shop:v1", "--json"], env);
    const source = await runCli(["show", "shop:v1", "--json"], env);
    expect(source.code).toBe(1);
    expect(JSON.parse(source.stdout).error.message).toMatch(/invalid manifest field 'name': Invalid input: expected string, received number/);
    expect({ code: bundled.code, stdout: bundled.stdout }).toEqual({ code: source.code, stdout: source.stdout });
  });

  it("leaves promote out of the action bundles: no dynamic import of it wraps every core module they reach in a lazy initializer", () => {
    for (const bundle of ["clone-db/index.cjs", "clone-db/post.cjs", "teardown/index.cjs", "build-image/index.cjs"]) {
      const text = fs.readFileSync(path.join(repoRoot, "dist", bundle), "utf8");
      // Wrapped (__esm) only where a module is reached through a lazy import: SQL Server and Docker, a dozen at most.
      expect(text.split("= __esm({").length - 1, bundle).toBeLessThan(30);
      expect(text, bundle).not.toContain('"packages/core/src/clones/registry.ts"() {');
      expect(text, bundle).not.toContain("only a ready clone can be promoted");
    }
  });

  it("sets up promote.ts only when a promote runs (every command loads the clones index), and promote still reaches it", () => {
    const text = fs.readFileSync(path.join(repoRoot, "dist/cli/main.cjs"), "utf8");
    const init = /var (init_\w+) = __esm\(\{\n\s+"packages\/core\/src\/clones\/promote\.ts"/.exec(text)?.[1];
    const entryInit = /var (init_\w+) = __esm\(\{\n\s+"packages\/core\/src\/promote\/index\.ts"/.exec(text)?.[1];
    const index = /"packages\/core\/src\/clones\/index\.ts"\(\) \{[\s\S]*?\n\}\);/.exec(text)?.[0];
    expect(init).toBeDefined();
    expect(entryInit).toBeDefined();
    expect(index).toBeDefined();
    expect(index).not.toContain(`${init}()`);
    // promote.ts is set up by the promote entry alone, and that entry only by the promote command's dynamic import.
    expect(text.split(`${init}()`).length - 1).toBe(1);
    const entry = /"packages\/core\/src\/promote\/index\.ts"\(\) \{[\s\S]*?\n\}\);/.exec(text)?.[0];
    expect(entry).toContain(`${init}()`);
    expect(text.split(`${entryInit}()`).length - 1).toBe(1);
    expect(text).toContain(`${entryInit}(), promote_exports`);
    const r = dbclone(["promote", "c-nonexist23", "--as", "shop:v2"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no clone 'c-nonexist23'");
  });
});
