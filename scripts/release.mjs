// Publish a release for a version tag: check the tag against the package versions, take the notes
// from CHANGELOG.md, create the GitHub release (gh), and move the major tag (v0) to the same commit.
// The release workflow runs it after build, tests and the dist check; --dry-run prints the notes and
// the commands instead of running them (the workflow's rehearsal mode, and what the tests exercise).
// Usage: node scripts/release.mjs --tag v0.1.0 [--dry-run] [--root <checkout>]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// vMAJOR.MINOR.PATCH with an optional pre-release (v0.2.0-rc.1); build metadata is not a tag form we use.
const TAG_PATTERN = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$/;

export class ReleaseError extends Error {}

/** v0.2.1 → { version: "0.2.1", major: "v0", prerelease: false }. */
export function parseTag(tag) {
  const m = TAG_PATTERN.exec(tag ?? "");
  if (!m) throw new ReleaseError(`'${tag}' is not a version tag: use vMAJOR.MINOR.PATCH, e.g. v0.2.0 (or v0.2.0-rc.1)`);
  return { version: tag.slice(1), major: `v${m[1]}`, prerelease: m[4] !== undefined };
}

/** The version every shipped package.json must carry for this tag; a mismatch names the file. */
export function checkVersions(version, root = repoRoot) {
  for (const file of ["package.json", "packages/cli/package.json"]) {
    const found = JSON.parse(fs.readFileSync(path.join(root, file), "utf8")).version;
    if (found !== version) throw new ReleaseError(`${file} has version ${found}, the tag says ${version}: set it, rebuild, commit, tag again`);
  }
  // The version the CLI prints and manifests record.
  const source = fs.readFileSync(path.join(root, TOOL_VERSION_FILE), "utf8");
  const found = /TOOL_VERSION = "([^"]+)"/.exec(source)?.[1];
  if (found !== version) throw new ReleaseError(`${TOOL_VERSION_FILE} has TOOL_VERSION ${found}, the tag says ${version}: set it, rebuild, commit, tag again`);
}
const TOOL_VERSION_FILE = "packages/core/src/util/version.ts";

/** The body of CHANGELOG.md's `## [version]` section, without its heading. */
export function releaseNotes(changelog, version) {
  const lines = changelog.split(/\r?\n/);
  const heading = new RegExp(`^##\\s+\\[?${version.replace(/[.+-]/g, "\\$&")}\\]?(\\s|$)`);
  const start = lines.findIndex((l) => heading.test(l));
  if (start < 0) throw new ReleaseError(`CHANGELOG.md has no section '## [${version}]': add the release's notes under that heading`);
  const end = lines.findIndex((l, i) => i > start && /^##\s/.test(l));
  const body = lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join("\n")
    .trim();
  if (!body) throw new ReleaseError(`CHANGELOG.md's section for ${version} is empty: say what changed`);
  return `${body}\n`;
}

/** The commands that publish the release, in order: [program, ...args]. */
export function releaseCommands(tag, notesFile) {
  const { major, prerelease } = parseTag(tag);
  const create = ["gh", "release", "create", tag, "--verify-tag", "--title", tag, "--notes-file", notesFile];
  if (prerelease) return [[...create, "--prerelease"]];
  // A pre-release never moves the major tag; a release points it at the tag's commit.
  return [create, ["git", "tag", "--force", major, `${tag}^{commit}`], ["git", "push", "--force", "origin", `refs/tags/${major}`]];
}

export function release({ tag, dryRun = false, root = repoRoot, log = console.log }) {
  const { version } = parseTag(tag);
  checkVersions(version, root);
  const notes = releaseNotes(fs.readFileSync(path.join(root, "CHANGELOG.md"), "utf8"), version);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-release-"));
  try {
    const notesFile = path.join(dir, "notes.md");
    fs.writeFileSync(notesFile, notes);
    const commands = releaseCommands(tag, notesFile);
    if (dryRun) log(`dry run: release ${tag} with these notes:\n${notes}`);
    for (const [program, ...args] of commands) {
      log(`${dryRun ? "dry run: would run: " : "+ "}${[program, ...args].join(" ")}`);
      if (!dryRun) execFileSync(program, args, { cwd: root, stdio: "inherit" });
    }
    return { version, notes, commands };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: { tag: { type: "string" }, "dry-run": { type: "boolean", default: false }, root: { type: "string", default: repoRoot } },
  });
  try {
    release({ tag: values.tag, dryRun: values["dry-run"], root: path.resolve(values.root) });
  } catch (e) {
    console.error(`release: ${e.message}`);
    process.exit(1);
  }
}
