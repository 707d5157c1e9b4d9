// The release workflow: valid for GitHub's parser and actionlint, triggered by version tags, and its
// release step (scripts/release.mjs) run for real against a scratch git repository, in dry-run and
// for real, with a recording stand-in for the GitHub CLI (GitHub's API is the one thing faked).
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import YAML from "yaml";
import { lintWorkflows } from "../../../scripts/actionlint.mjs";
import { parseTag, releaseNotes } from "../../../scripts/release.mjs";
import { loadWorkflowParser } from "./workflow-parser.js";

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, "../../..");
const workflowFile = ".github/workflows/release.yml";
const content = fs.readFileSync(path.join(repoRoot, workflowFile), "utf8");
const script = path.join(repoRoot, "scripts/release.mjs");
const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("release.yml", () => {
  it("passes GitHub's workflow parser with no errors", async () => {
    const parser = loadWorkflowParser();
    const result = parser.parseWorkflow({ name: workflowFile, content }, new parser.NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    const template = await parser.convertWorkflowTemplate(result.context, result.value!);
    expect((template.errors ?? []).map((e) => e.Message)).toEqual([]);
  });

  it("passes actionlint", async () => {
    expect(await lintWorkflows([workflowFile])).toEqual([]);
  });

  it("runs on version tags and by hand with a dry-run input that defaults to on", () => {
    const wf = YAML.parse(content);
    expect(wf.on.push.tags).toContain("v[0-9]+.[0-9]+.[0-9]+");
    expect(wf.on.workflow_dispatch.inputs["dry-run"]).toMatchObject({ type: "boolean", default: true });
    expect(wf.permissions).toEqual({ contents: "read" });
    expect(wf.jobs.release.needs).toBe("verify");
    expect(wf.jobs.release.permissions).toEqual({ contents: "write" });
  });

  it("builds, tests and verifies dist before the release job, and pins every action by commit", () => {
    const wf = YAML.parse(content);
    const verify = wf.jobs.verify.steps.map((s: { run?: string }) => s.run ?? "").join("\n");
    expect(verify).toMatch(/bash \.ci\/run/);
    expect(verify).toMatch(/npm run build\s+git diff --exit-code -- dist\//);
    for (const [, ref] of content.matchAll(/^\s*-? *uses: [\w./-]+@(\S+)/gm)) expect(ref).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe("scripts/release.mjs", () => {
  function scratchRepo(version: string): { dir: string; remote: string; bin: string; ghLog: string } {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-release-test-"));
    temps.push(base);
    const dir = path.join(base, "work");
    const remote = path.join(base, "remote.git");
    const bin = path.join(base, "bin");
    const ghLog = path.join(base, "gh.log");
    fs.mkdirSync(path.join(dir, "packages/cli"), { recursive: true });
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ version }));
    fs.writeFileSync(path.join(dir, "packages/cli/package.json"), JSON.stringify({ version }));
    fs.mkdirSync(path.join(dir, "packages/core/src/util"), { recursive: true });
    fs.writeFileSync(path.join(dir, "packages/core/src/util/version.ts"), `export const TOOL_VERSION = "${version}";\n`);
    fs.writeFileSync(
      path.join(dir, "CHANGELOG.md"),
      `# Changelog\n\n## [Unreleased]\n\n## [${version}] - 2026-11-30\n\n### Fixed\n- the thing\n\n## [0.0.1]\n\n- old\n`,
    );
    // Stand-in for the GitHub CLI: records its arguments and the notes file it was given.
    fs.writeFileSync(
      path.join(bin, "gh"),
      `#!/bin/sh\necho "$@" >> ${ghLog}\nwhile [ $# -gt 0 ]; do if [ "$1" = --notes-file ]; then cat "$2" >> ${ghLog}; fi; shift; done\n`,
      { mode: 0o755 },
    );
    const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
    execFileSync("git", ["init", "-q", "--bare", remote]);
    git("init", "-q");
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", ".");
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "release");
    git("tag", `v${version}`);
    git("remote", "add", "origin", remote);
    return { dir, remote, bin, ghLog };
  }
  const remoteTag = (remote: string, tag: string) => execFileSync("git", ["--git-dir", remote, "tag", "-l", tag], { encoding: "utf8" }).trim();

  it("in dry-run prints the notes and the commands, and neither releases nor moves a tag", async () => {
    const r = scratchRepo("0.3.1");
    const env = { ...process.env, PATH: `${r.bin}:${process.env.PATH}` };
    const { stdout } = await run(process.execPath, [script, "--tag", "v0.3.1", "--dry-run", "--root", r.dir], { env });
    expect(stdout).toContain("### Fixed\n- the thing");
    expect(stdout).not.toContain("- old");
    expect(stdout).toMatch(/would run: gh release create v0\.3\.1 --verify-tag/);
    expect(stdout).toMatch(/would run: git tag --force v0 v0\.3\.1\^\{commit\}/);
    expect(fs.existsSync(r.ghLog)).toBe(false);
    expect(remoteTag(r.remote, "v0")).toBe("");
  });

  it("for real creates the release with the changelog section and moves v0 to the tag's commit", async () => {
    const r = scratchRepo("0.3.1");
    const env = { ...process.env, PATH: `${r.bin}:${process.env.PATH}` };
    await run(process.execPath, [script, "--tag", "v0.3.1", "--root", r.dir], { env });
    const gh = fs.readFileSync(r.ghLog, "utf8");
    expect(gh).toMatch(/^release create v0\.3\.1 --verify-tag --title v0\.3\.1 --notes-file /);
    expect(gh).toContain("- the thing");
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: r.dir, encoding: "utf8" }).trim();
    expect(execFileSync("git", ["--git-dir", r.remote, "rev-parse", "v0^{commit}"], { encoding: "utf8" }).trim()).toBe(head);
  });

  it("refuses a tag that does not match the package versions, before any command", async () => {
    const r = scratchRepo("0.3.1");
    const env = { ...process.env, PATH: `${r.bin}:${process.env.PATH}` };
    const failed = await run(process.execPath, [script, "--tag", "v0.4.0", "--root", r.dir], { env }).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/package\.json has version 0\.3\.1, the tag says 0\.4\.0/);
    expect(fs.existsSync(r.ghLog)).toBe(false);
  });

  it("keeps the major tag still for a pre-release, and refuses tags that are not versions", () => {
    expect(parseTag("v0.2.0-rc.1")).toEqual({ version: "0.2.0-rc.1", major: "v0", prerelease: true });
    expect(() => parseTag("0.2.0")).toThrow(/not a version tag/);
    expect(() => parseTag("v0.2")).toThrow(/not a version tag/);
    expect(() => releaseNotes("## [0.1.0]\n\n## [0.0.9]\n- x\n", "0.1.0")).toThrow(/empty/);
    expect(() => releaseNotes("# Changelog\n", "0.1.0")).toThrow(/no section '## \[0\.1\.0\]'/);
  });

  it("the repository's own version has a changelog section (a release of it would not fail there)", async () => {
    const version = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).version;
    const { stdout } = await run(process.execPath, [script, "--tag", `v${version}`, "--dry-run"]);
    expect(stdout).toMatch(/would run: gh release create/);
  });
});
