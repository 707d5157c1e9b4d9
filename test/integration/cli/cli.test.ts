import { mkdtempSync, promises as fs, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloneRegistry } from "../../../packages/core/src/clones/registry.js";
import { listTree, publishFixture, runCli } from "../../unit/cli/helpers.js";

let tmp: string;
let home: string;
let repo: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "dbclone-cli-"));
  home = path.join(tmp, "home");
  repo = path.join(tmp, "repo");
  env = { DBCLONE_HOME: home, DBCLONE_REPO: repo };
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const oneLine = (s: string) => s.trimEnd().split("\n");

describe("dbclone usage and errors", () => {
  it("prints help with examples and exits 0, for the program and for each command", async () => {
    const top = await runCli(["--help"], env);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: dbclone/);
    expect(top.stdout).toMatch(/Examples:/);
    for (const cmd of ["images", "show", "tag", "untag", "rm", "audit", "clones", "build", "clone", "teardown", "gc", "demo"]) {
      const r = await runCli([cmd, "--help"], env);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(new RegExp(`Usage: dbclone ${cmd}`));
      expect(r.stdout, cmd).toMatch(/Examples:\n {2}\$ dbclone /);
    }
  });

  it("prints its own version only for a leading --version; build's --version is the image version", async () => {
    for (const flag of ["--version", "-V"]) {
      const r = await runCli([flag], env);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    }
    // Reaches the build, which refuses the missing dump by name (no version printed, nothing built).
    const missing = path.join(tmp, "missing.dump");
    const b = await runCli(["build", "shop", "--from-dump", missing, "--version", "v1"], env);
    expect(b.stdout).not.toMatch(/^\d+\.\d+\.\d+$/m);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toContain(missing);
  });

  it("exits 2 with one line for an unknown command, an unknown option and a missing argument", async () => {
    const cases: [string[], string][] = [
      [["frobnicate"], "dbclone --help"],
      [["images", "--nope"], "dbclone images --help"],
      [["show"], "dbclone show --help"],
      [["tag", "orders:1"], "dbclone tag --help"],
    ];
    for (const [args, help] of cases) {
      const r = await runCli(args, env);
      expect(r.code, args.join(" ")).toBe(2);
      expect(oneLine(r.stderr), args.join(" ")).toHaveLength(1);
      expect(r.stderr, args.join(" ")).toMatch(/^dbclone: /);
      expect(r.stderr.endsWith(`; see ${help}\n`), r.stderr).toBe(true);
      expect(r.stderr, "no doubled punctuation").not.toMatch(/[.;:]; see/);
      expect(r.stdout).toBe("");
    }
    expect((await runCli(["imagse"], env)).stderr).toBe("dbclone: unknown command 'imagse' (did you mean images?); see dbclone --help\n");
  });

  it("exits 2 for a bad reference and 1 for a missing image, one line each, writing nothing", async () => {
    await fs.mkdir(repo, { recursive: true });
    const bad = await runCli(["show", "bad::ref"], env);
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toEqual([expect.stringMatching(/^dbclone: bad image reference 'bad::ref'/)]);
    const missing = await runCli(["show", "nosuch:1"], env);
    expect(missing.code).toBe(1);
    expect(oneLine(missing.stderr)).toEqual([expect.stringMatching(/^dbclone: image nosuch:1 not found/)]);
    expect(await listTree(repo)).toEqual([]);
    expect(await listTree(home)).toEqual([]);
  });

  it("refuses bad option values with exit 2 before touching anything", async () => {
    const cases: [string[], RegExp][] = [
      [["clone", "orders:1", "--ttl", "soon"], /--ttl: 'soon' is not a duration/],
      [["clone", "orders:1", "--durability", "forever"], /--durability must be ephemeral or durable/],
      [["clone", "orders:1", "--label", "novalue"], /--label: 'novalue' is not a label/],
      [["teardown"], /exactly one of/],
      [["teardown", "c-abcdefgh23", "--name", "x"], /exactly one of/],
      [["build", "orders"], /build needs a source/],
      [["build", "orders", "--from-dump", "a.dump", "--from-datadir", "/d"], /one kind of source/],
      [["build", "Orders!", "--from-dump", "a.dump"], /bad image name/],
      [["audit", "--limit", "0"], /--limit must be a whole number/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, env);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(oneLine(r.stderr)).toHaveLength(1);
    }
    expect(await listTree(tmp)).toEqual([]);
  });
});

describe("dbclone image commands", () => {
  beforeEach(async () => {
    await publishFixture(repo, home, "orders", "1");
    await publishFixture(repo, home, "orders", "2", 8192);
    await publishFixture(repo, home, "billing", "1");
  });

  it("lists versions with sizes, as a table and as JSON", async () => {
    const table = await runCli(["images"], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+VERSION\s+TAGS\s+SIZE\s+CREATED\s+DIGEST/);
    expect(table.stdout).toMatch(/orders\s+2\s+\S+\s+8\.0 KiB/);
    const json = await runCli(["images", "orders", "--json"], env);
    const list = JSON.parse(json.stdout) as { name: string; version: string }[];
    expect(list.map((i) => `${i.name}:${i.version}`).sort()).toEqual(["orders:1", "orders:2"]);
  });

  it("shows a manifest summary, and the whole manifest with its digest as JSON", async () => {
    const human = await runCli(["show", "orders:1"], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Image:\s+orders:1/);
    expect(human.stdout).toMatch(/Digest:\s+sha256:[0-9a-f]{64}/);
    expect(human.stdout).toMatch(/Engine:\s+postgres 15\.8/);
    const json = JSON.parse((await runCli(["--repo", repo, "show", "orders:1", "--json"], {})).stdout);
    expect(json.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(json.manifest).toMatchObject({ name: "orders", version: "1", labels: { team: "shop" } });
  });

  it("tags and untags a version", async () => {
    expect((await runCli(["tag", "orders:1", "stable"], env)).code).toBe(0);
    const shown = await runCli(["show", "orders:stable", "--json"], env);
    expect(JSON.parse(shown.stdout).manifest.version).toBe("1");
    expect((await runCli(["images", "orders"], env)).stdout).toMatch(/orders\s+1\s+\S*stable/);
    const untag = await runCli(["untag", "orders", "stable"], env);
    expect(untag.code).toBe(0);
    expect((await runCli(["show", "orders:stable"], env)).code).toBe(1);
    expect((await runCli(["tag", "orders:1", "-bad"], env)).code).toBe(2);
  });

  it("refuses to delete a version a live clone uses, and deletes it once none does", async () => {
    const target = JSON.parse((await runCli(["show", "billing:1", "--json"], env)).stdout) as { imageDigest: string };
    const registry = new CloneRegistry(home);
    const clone = await registry.reserve({
      image: { name: "billing", version: "1", manifestDigest: target.imageDigest, diskDigest: `sha256:${"0".repeat(64)}` },
      engine: "postgres",
      host: "127.0.0.1",
      runtime: "host",
      password: "pw",
      databases: ["billing"],
      labels: {},
      repository: repo,
    });
    const refused = await runCli(["rm", "billing:1"], env);
    expect(refused.code).toBe(1);
    expect(oneLine(refused.stderr)).toHaveLength(1);
    expect((await runCli(["show", "billing:1"], env)).code).toBe(0);
    await registry.remove(clone.id);
    const removed = await runCli(["rm", "billing:1"], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await runCli(["show", "billing:1"], env)).code).toBe(1);
  });

  it("shows audit events and detects an edited log", async () => {
    const events = JSON.parse((await runCli(["audit", "--json", "--image", "orders"], env)).stdout) as { action: string; image: string }[];
    expect(events.map((e) => `${e.action} ${e.image}`)).toEqual(["publish orders:1", "publish orders:2"]);
    expect((await runCli(["audit", "--limit", "1", "--json"], env)).stdout).toMatch(/billing:1/);
    const ok = await runCli(["audit", "--verify"], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Audit log OK: 3 events/);
    const log = path.join(repo, "audit", "events.jsonl");
    await fs.writeFile(log, (await fs.readFile(log, "utf8")).replace("orders:2", "orders:9"));
    const broken = await runCli(["audit", "verify"], env);
    expect(broken.code).toBe(1);
    expect(oneLine(broken.stderr)).toEqual([expect.stringMatching(/^dbclone: audit log .* fails verification: line 2 /)]);
  });
});

describe("dbclone clones", () => {
  it("lists live clones without ever printing a password unless --show-secrets with --json", async () => {
    expect((await runCli(["clones"], env)).stderr).toMatch(/No live clones/);
    const password = "Sup3r-Secret-pw";
    const rec = await new CloneRegistry(home).reserve({
      name: "pr-42",
      image: { name: "orders", version: "1", manifestDigest: `sha256:${"1".repeat(64)}`, diskDigest: `sha256:${"2".repeat(64)}` },
      engine: "postgres",
      host: "127.0.0.1",
      runtime: "host",
      password,
      databases: ["orders"],
      labels: { pr: "42" },
      repository: repo,
    });
    const table = await runCli(["clones"], env);
    expect(table.stdout).toMatch(new RegExp(`${rec.id}\\s+pr-42\\s+creating\\s+orders:1\\s+127\\.0\\.0\\.1:${rec.port}`));
    const json = await runCli(["clones", "--json"], env);
    for (const r of [table, json]) expect(r.stdout + r.stderr).not.toContain(password);
    const [entry] = JSON.parse(json.stdout);
    expect(entry).toMatchObject({ id: rec.id, name: "pr-42", port: rec.port, user: rec.user, labels: { pr: "42" } });
    expect(entry.password).toBeUndefined();
    expect(entry.connectionString).toBe(`postgresql://${rec.user}@127.0.0.1:${rec.port}/orders`);
    const secret = JSON.parse((await runCli(["clones", "--json", "--show-secrets"], env)).stdout)[0];
    expect(secret.password).toBe(password);
    expect(secret.connectionString).toBe(`postgresql://${rec.user}:${password}@127.0.0.1:${rec.port}/orders`);
  });
});

describe("dbclone clone --json", () => {
  it("has exactly the documented fields", async () => {
    const { cloneResultJson } = await import("../../../packages/cli/src/commands/clone.js");
    const json = cloneResultJson({
      created: true,
      clone: {
        id: "c-abcdefgh23",
        name: "pr-42",
        expiresAt: "2030-01-01T00:00:00.000Z",
        image: { name: "orders", version: "1", manifestDigest: `sha256:${"a".repeat(64)}` },
      } as never,
      credentials: {
        user: "u",
        password: "p",
        host: "127.0.0.1",
        port: 15432,
        databases: ["orders"],
        connectionString: "postgresql://u:p@127.0.0.1:15432/orders",
      },
      image: { name: "orders", version: "1", manifestDigest: `sha256:${"a".repeat(64)}`, manifest: {} as never },
      readySeconds: 0.42,
      childDiskBytes: 0,
    });
    expect(Object.keys(json).sort()).toEqual(
      [
        "id",
        "name",
        "created",
        "host",
        "port",
        "databases",
        "user",
        "password",
        "connectionString",
        "imageDigest",
        "image",
        "readySeconds",
        "expiresAt",
        "imageChanged",
        "newerVersion",
      ].sort(),
    );
    expect(json).toMatchObject({
      image: "orders:1",
      imageDigest: `sha256:${"a".repeat(64)}`,
      password: "p",
      port: 15432,
      imageChanged: false,
      newerVersion: null,
    });
  });
});
