// The CLI says the same thing the same way everywhere: global options in every --help, usage errors
// pointing at the failing subcommand's help, one duration grammar, one default TTL, JSON errors with
// the usual exit codes, one message per outcome, one field name per concept (docs/cli.md).
import { mkdtempSync, promises as fs, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import YAML from "yaml";
import { parseDuration as parseActionDuration, parseLabels as parseActionLabels } from "../../../actions/shared/inputs.js";
import { ALL_COMMANDS } from "../../../packages/cli/src/command-list.js";
import { buildProgram } from "../../../packages/cli/src/program.js";
import { CliContext } from "../../../packages/cli/src/context.js";
import { parseTtlSeconds } from "../../../packages/core/src/repository/layout.js";
import { DEFAULT_TTL, parseDuration } from "../../../packages/core/src/util/duration.js";
import { freePort } from "../../../packages/core/src/util/net.js";
import { publishFixture, runCli } from "./helpers.js";

let tmp: string;
let home: string;
let repo: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "dbclone-cli-consistency-"));
  home = path.join(tmp, "home");
  repo = path.join(tmp, "repo");
  await fs.mkdir(repo);
  env = { DBCLONE_HOME: home, DBCLONE_REPO: repo };
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const subcommands = () =>
  buildProgram(new CliContext({ stdout: { write: () => true }, stderr: { write: () => true }, env: {} }, false), ALL_COMMANDS).commands.map((c) => c.name());

describe("help", () => {
  it("every subcommand's --help shows the global options --repo, --home, --json, --debug", async () => {
    const names = subcommands();
    expect(names).toEqual(expect.arrayContaining(["images", "clone", "teardown", "build", "doctor"]));
    for (const name of names) {
      const r = await runCli([name, "--help"], env);
      expect(r.code, name).toBe(0);
      for (const option of ["--repo <dir>", "--home <dir>", "--json", "--debug"]) expect(r.stdout, `${name}: ${option}`).toContain(option);
    }
  });
});

describe("usage errors", () => {
  it("point at the subcommand's own help, without doubled punctuation", async () => {
    const r = await runCli(["teardown", "a", "b"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("dbclone: too many arguments for 'teardown'. Expected 1 argument but got 2; see dbclone teardown --help\n");
    const bad = await runCli(["--repo", repo, "clone", "shop:1", "--ttl", "soon"], env);
    expect(bad.stderr).toMatch(/^dbclone: --ttl: 'soon' is not a duration: .*\(e\.g\. [^)]*\); see dbclone clone --help\n$/);
  });
});

describe("durations", () => {
  it("--timeout 1.5 and --ttl none are accepted: the clone fails later, on the missing image (exit 1)", async () => {
    for (const args of [
      ["--timeout", "1.5"],
      ["--ttl", "none"],
      ["--ttl", "1.5h"],
      ["--ttl", "1h30m"],
    ]) {
      const r = await runCli(["clone", "shop:1", ...args], env);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toMatch(/image shop:1 not found/);
    }
  });

  it("1h1h is refused by the CLI, the actions and a repository's maxTtl alike — never read as 2h", async () => {
    for (const args of [
      ["--ttl", "1h1h"],
      ["--timeout", "1m1m"],
      ["--ttl", "30m1h"],
    ]) {
      const r = await runCli(["clone", "shop:1", ...args], env);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/is not a duration/);
    }
    expect(() => parseActionDuration("1h1h", "ttl")).toThrow(/Input 'ttl': '1h1h' is not a duration/);
    expect(() => parseTtlSeconds("1h1h", "config.json")).toThrow(/config\.json: maxTtl: '1h1h' is not a duration/);
    expect(parseDuration("1.5")).toBe(1.5);
    expect(parseDuration("1h30m")).toBe(5400);
    expect(parseTtlSeconds("8h", "config.json")).toBe(28_800);
  });

  it("the CLI and clone-db default to the same TTL, 2h", async () => {
    expect(DEFAULT_TTL).toBe("2h");
    const action = YAML.parse(await fs.readFile(path.resolve(import.meta.dirname, "../../../actions/clone-db/action.yml"), "utf8"));
    expect(action.inputs.ttl.default).toBe(DEFAULT_TTL);
    const help = await runCli(["clone", "--help"], env);
    expect(help.stdout).toMatch(/--ttl <duration>[\s\S]*or none[\s\S]*\(default: "2h"\)/);
  });
});

describe("labels", () => {
  it("the CLI and the actions share one label grammar: the same keys pass and fail, each error naming its field", async () => {
    for (const bad of ["a b=1", "=x", "novalue", "pr#1=2"]) {
      const r = await runCli(["clone", "shop:1", "--label", bad], env);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toContain(`--label: '${bad}' is not a label`);
      expect(() => parseActionLabels(bad, "labels"), bad).toThrow(`Input 'labels': '${bad}' is not a label`);
    }
    const good = ["team/app.x-1_2=data", "q=a=b", "pr= 42 "];
    for (const pair of good) expect((await runCli(["clone", "shop:1", "--label", pair], env)).stderr, pair).toMatch(/image shop:1 not found/);
    expect(parseActionLabels(good.join("\n"), "labels")).toEqual({ "team/app.x-1_2": "data", q: "a=b", pr: "42" });
  });
});

describe("repositories", () => {
  it("a --repo directory that does not exist is an error (exit 1), not an empty list", async () => {
    const missing = path.join(tmp, "nonexistent");
    for (const args of [["images"], ["show", "shop:1"], ["clone", "shop:1"], ["audit"]]) {
      const r = await runCli(["--repo", missing, ...args], env);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toBe(`dbclone: repository ${missing} does not exist: check the path, or make it by publishing an image to it\n`);
      expect(r.stdout).toBe("");
    }
    const viaEnv = await runCli(["images"], { ...env, DBCLONE_REPO: missing });
    expect(viaEnv.code).toBe(1);
    // build creates the repository: it fails on its missing source instead.
    const build = await runCli(["--repo", missing, "build", "shop", "--from-dump", path.join(tmp, "none.dump")], env);
    expect(build.stderr).not.toMatch(/repository .* does not exist/);
  });

  it("the default repository (<home>/repository) not made yet reads as empty on a fresh machine (exit 0)", async () => {
    const fresh = { DBCLONE_HOME: path.join(tmp, "fresh-home") }; // no DBCLONE_REPO, no --repo
    const images = await runCli(["images"], fresh);
    expect(images.stderr).toMatch(/^No images in .*fresh-home\/repository\.\n$/);
    expect(images.code).toBe(0);
    const json = await runCli(["images", "--json"], fresh);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
    const log = await runCli(["audit"], fresh);
    expect(log.code, log.stderr).toBe(0);
    // Reading created nothing: the default repository still does not exist.
    expect(await fs.stat(path.join(tmp, "fresh-home", "repository")).catch(() => null)).toBeNull();
  });

  it("an OCI registry that cannot be reached says 'could not reach <host>: <cause>'", async () => {
    const port = await freePort();
    const r = await runCli(["--repo", `oci://127.0.0.1:${port}/acme`, "images"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^dbclone: could not reach 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    expect(r.stderr).not.toMatch(/does not list/);
  });
});

describe("--json errors", () => {
  it("are {error:{message,code}} on stdout with the same exit codes, and nothing on stderr", async () => {
    const usage = await runCli(["teardown", "a", "b", "--json"], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe("");
    expect(JSON.parse(usage.stdout)).toEqual({ error: { message: expect.stringMatching(/see dbclone teardown --help$/), code: "usage" } });
    const missing = await runCli(["show", "nosuch:1", "--json"], env);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toEqual({ error: { message: expect.stringMatching(/^image nosuch:1 not found/), code: "image-not-found" } });
    const unknown = await runCli(["--json", "frobnicate"], env);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error.code).toBe("usage");
  });
});

describe("one message per outcome", () => {
  it("teardown of a clone that does not exist says so once, and succeeds", async () => {
    for (const args of [["c-abcdefgh23"], ["--name", "nope"], ["--label", "pr=1"]]) {
      const r = await runCli(["teardown", ...args], env);
      expect(r.code).toBe(0);
      expect((r.stdout + r.stderr).trimEnd().split("\n")).toEqual(["No such clone: nothing to tear down."]);
    }
  });
});

describe("one field name per concept", () => {
  it("the image id is imageDigest in images, show, tag and log --json alike (clone and clones use it too)", async () => {
    const image = await publishFixture(repo, home, "shop", "1");
    const images = JSON.parse((await runCli(["images", "--json"], env)).stdout);
    expect(images[0]).toMatchObject({ name: "shop", version: "1", imageDigest: image.manifestDigest });
    expect(images[0]).not.toHaveProperty("manifestDigest");
    expect(JSON.parse((await runCli(["show", "shop:1", "--json"], env)).stdout).imageDigest).toBe(image.manifestDigest);
    expect(JSON.parse((await runCli(["tag", "shop:1", "stable", "--json"], env)).stdout).imageDigest).toBe(image.manifestDigest);
    expect(JSON.parse((await runCli(["log", "shop:1", "--json"], env)).stdout)[0].imageDigest).toBe(image.manifestDigest);
  });
});
