// Runs a dist bundle the way the GitHub runner does: `node <bundle>` with INPUT_* env (defaults from
// action.yml applied), the file-command files (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY,
// GITHUB_ENV, GITHUB_PATH), then the post entry with STATE_* from what the main step saved.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";

export const repoRoot = path.resolve(import.meta.dirname, "../..");

export interface StepOptions {
  inputs?: Record<string, string>;
  /** Extra environment (e.g. DBCLONE_HOME, GITHUB_EVENT_PATH); overrides the runner defaults. */
  env?: Record<string, string>;
  /** STATE_* values, as the runner passes them to a post step. */
  state?: Record<string, string>;
  timeoutMs?: number;
  /** Run bundles from this directory (built from source by bundleFromSource) instead of dist/. */
  bundleDir?: string;
}

export interface WorkflowCommand {
  command: string;
  properties: string;
  message: string;
}

export interface StepResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  env: Record<string, string>;
  path: string[];
  summary: string;
  /** Values registered with ::add-mask::. */
  secrets: string[];
  /** ::error:: messages, unescaped. */
  errors: string[];
  commands: WorkflowCommand[];
}

export interface ActionResult extends StepResult {
  /** The post step's result, when the action has one (post-if: always() → it always runs). */
  post?: StepResult;
}

/** How the runner names an input's variable: INPUT_ + upper case, spaces → _, hyphens kept. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

/** Run one bundle (a path relative to the repo root, or absolute) as a step. */
export async function runBundle(bundle: string, opts: StepOptions = {}): Promise<StepResult> {
  const file = path.resolve(repoRoot, bundle);
  if (!fs.existsSync(file)) throw new Error(`${bundle} does not exist: run npm run build first.`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-e2e-step-"));
  try {
    const files = {
      GITHUB_OUTPUT: path.join(tmp, "output"),
      GITHUB_STATE: path.join(tmp, "state"),
      GITHUB_STEP_SUMMARY: path.join(tmp, "summary.md"),
      GITHUB_ENV: path.join(tmp, "env"),
      GITHUB_PATH: path.join(tmp, "path"),
    };
    for (const f of Object.values(files)) fs.writeFileSync(f, "");
    const runnerTemp = path.join(tmp, "runner-temp");
    const workspace = path.join(tmp, "workspace");
    fs.mkdirSync(runnerTemp);
    fs.mkdirSync(workspace);
    const env: Record<string, string> = {
      ...inheritedEnv(),
      ...runnerEnv(),
      ...files,
      RUNNER_TEMP: runnerTemp,
      GITHUB_WORKSPACE: workspace,
      ...opts.env,
    };
    for (const [k, v] of Object.entries(opts.inputs ?? {})) env[inputEnvName(k)] = v;
    for (const [k, v] of Object.entries(opts.state ?? {})) env[`STATE_${k}`] = v;

    const { exitCode, stdout, stderr } = await runNode(file, env, workspace, opts.timeoutMs ?? 60_000);
    const commands = parseWorkflowCommands(stdout);
    return {
      exitCode,
      stdout,
      stderr,
      outputs: parseFileCommand(fs.readFileSync(files.GITHUB_OUTPUT, "utf8")),
      state: parseFileCommand(fs.readFileSync(files.GITHUB_STATE, "utf8")),
      env: parseFileCommand(fs.readFileSync(files.GITHUB_ENV, "utf8")),
      path: fs.readFileSync(files.GITHUB_PATH, "utf8").split(/\r?\n/).filter(Boolean),
      summary: fs.readFileSync(files.GITHUB_STEP_SUMMARY, "utf8"),
      secrets: commands.filter((c) => c.command === "add-mask").map((c) => c.message),
      errors: commands.filter((c) => c.command === "error").map((c) => c.message),
      commands,
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Run actions/<name>: its main bundle, then its post bundle with the state the main step saved. */
export async function runAction(name: string, opts: StepOptions = {}): Promise<ActionResult> {
  const actionDir = path.join(repoRoot, "actions", name);
  const action = YAML.parse(fs.readFileSync(path.join(actionDir, "action.yml"), "utf8")) as ActionYaml;
  const inputs = { ...actionDefaults(action), ...opts.inputs };
  const env = { GITHUB_ACTION_PATH: actionDir, ...opts.env };
  const bundleOf = (p: string) => {
    const inDist = path.relative(path.join(repoRoot, "dist"), path.resolve(actionDir, p));
    return opts.bundleDir ? path.join(opts.bundleDir, inDist) : path.join("dist", inDist);
  };
  const main = await runBundle(bundleOf(action.runs.main), { ...opts, inputs, env });
  if (!action.runs.post) return main;
  // Our post steps use post-if: always(), so the post step runs whether main passed or failed.
  const post = await runBundle(bundleOf(action.runs.post), { ...opts, inputs, env, state: { ...main.state, ...opts.state } });
  return { ...main, post };
}

/**
 * Bundle the actions' entry points from source (the same esbuild options as dist/) into `outDir`,
 * so an e2e run catches a source bug before anyone rebuilds dist/.
 */
export async function bundleFromSource(outDir: string): Promise<void> {
  const { build } = await import("esbuild");
  const { bundles, bundleOptions } = (await import("../../scripts/build.mjs")) as {
    bundles: { entry: string; out: string; cli?: boolean }[];
    bundleOptions: (entry: string, outfile: string, o?: { cli?: boolean }) => Parameters<typeof build>[0];
  };
  for (const b of bundles.filter((x) => x.entry.startsWith("actions/"))) {
    await build({ ...bundleOptions(path.join(repoRoot, b.entry), path.join(outDir, b.out)), logLevel: "error" });
  }
}

interface ActionYaml {
  inputs?: Record<string, { default?: string }>;
  runs: { main: string; post?: string };
}

/** The runner fills inputs the workflow did not set from action.yml defaults. */
function actionDefaults(action: ActionYaml): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(action.inputs ?? {})) if (v.default !== undefined) out[k] = String(v.default);
  return out;
}

/** Parse GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV: `name<<DELIM\nvalue\nDELIM` blocks or `name=value` lines. */
export function parseFileCommand(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const heredoc = /^([^=]+?)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, key, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`file command for '${key}': delimiter ${delim} never closed`);
      out[key!] = value.join("\n");
    } else {
      const eq = line.indexOf("=");
      if (eq <= 0) throw new Error(`file command line is neither name=value nor name<<DELIM: ${line}`);
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

/** `::command props::message` lines on stdout, with the runner's %-escapes undone. */
export function parseWorkflowCommands(stdout: string): WorkflowCommand[] {
  const undoEscapes = (s: string) => s.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%3A/g, ":").replace(/%2C/g, ",").replace(/%25/g, "%");
  const out: WorkflowCommand[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^::([a-z-]+)( [^:]*)?::(.*)$/.exec(line);
    if (m) out.push({ command: m[1]!, properties: (m[2] ?? "").trim(), message: undoEscapes(m[3]!) });
  }
  return out;
}

/** The runner's own variables, with values a test run can use. */
function runnerEnv(): Record<string, string> {
  return {
    CI: "true",
    GITHUB_ACTIONS: "true",
    RUNNER_OS: "Linux",
    RUNNER_ARCH: "X64",
    RUNNER_NAME: "dbclone-e2e",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_API_URL: "https://api.github.com",
    GITHUB_REPOSITORY: "dbclone-org/dbclone",
    GITHUB_REPOSITORY_OWNER: "dbclone-org",
    GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
    GITHUB_REF: "refs/heads/main",
    GITHUB_REF_NAME: "main",
    GITHUB_EVENT_NAME: "push",
    GITHUB_RUN_ID: "1000001",
    GITHUB_RUN_NUMBER: "7",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_ACTOR: "octocat",
    GITHUB_WORKFLOW: "e2e",
    GITHUB_JOB: "e2e",
  };
}

/** The parent's environment minus anything that would leak a real runner's step into ours. */
function inheritedEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(INPUT_|STATE_|GITHUB_|RUNNER_|ACTIONS_)/.test(k)) continue;
    out[k] = v;
  }
  return out;
}

function runNode(file: string, env: Record<string, string>, cwd: string, timeoutMs: number) {
  return new Promise<{ exitCode: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [file], { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, stdout, stderr });
    });
  });
}
