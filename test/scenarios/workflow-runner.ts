// Runs one job of a workflow example the way the runner does, step by step: `uses:` of our actions
// runs their real dist bundle (main now, post steps at the end of the job in reverse order) with the
// step's `with:` evaluated against the job's contexts; `run:` steps run in bash, unless the scenario
// stands in for them (`npm test` of an application we do not have); GITHUB_ENV exports carry over.
// Like the runner, every step starts in the job's workspace (GITHUB_WORKSPACE), where `actions/checkout`
// places the files the scenario gives as the repository's checkout (or, for dbclone-org/dbclone
// itself, this repository); other actions (uploads to GitHub) only run as a scenario's stand-in.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { repoRoot, runBundle, type StepResult } from "../e2e/harness.js";
import { interpolate, stepCondition, type Contexts, type JobStatus } from "./expressions.js";

const OUR_ACTION = /^dbclone-org\/dbclone\/actions\/([a-z-]+)@/;
const PG_BIN = "/usr/lib/postgresql/15/bin";

export interface WorkflowStep {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: unknown;
}

export interface WorkflowJob {
  "runs-on": unknown;
  if?: unknown;
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, unknown>;
  steps: WorkflowStep[];
}

export interface Workflow {
  on: unknown;
  permissions?: Record<string, string>;
  jobs: Record<string, WorkflowJob>;
}

export function loadExample(file: string): Workflow {
  return YAML.parse(fs.readFileSync(path.join(repoRoot, "workflows-examples", file), "utf8")) as Workflow;
}

/** What the scenario does instead of a run: step or another party's action (by the step's name); env and `with:` are the step's, evaluated. */
export type RunStandIn = (env: Record<string, string>, inputs: Record<string, string>) => Promise<void> | void;

const DBCLONE_REPOSITORY = "dbclone-org/dbclone";

export interface JobOptions {
  /** github context: event_name, ref_name, head_ref, event, run_id, run_number, sha, repository, token … */
  github: Record<string, unknown>;
  /** Environment every step gets: DBCLONE_HOME, DBCLONE_REPO, GITHUB_API_URL … */
  env: Record<string, string>;
  runnerName: string;
  inputs?: Record<string, unknown>;
  secrets?: Record<string, string>;
  matrix?: Record<string, unknown>;
  standIns?: Record<string, RunStandIn>;
  /** The files of the workflow's repository (path → content) that actions/checkout writes into the workspace. */
  checkout?: Record<string, string>;
  /**
   * The operator's machine-specific settings the example names in its job env (e.g. DBCLONE_REPO:
   * /srv/dbclone/repository), as this world has them; each must be a variable the job env sets.
   */
  operatorEnv?: Record<string, string>;
}

export interface StepRun {
  step: WorkflowStep;
  skipped: boolean;
  result?: StepResult;
  /** bash's output, for run: steps executed here. */
  log?: string;
  exitCode: number | null;
}

export interface JobRun {
  /** The job's `if:` was false: nothing ran. */
  skippedJob: boolean;
  /** runs-on, evaluated: the labels a runner must carry to take the job. */
  runsOn: string[];
  steps: StepRun[];
  posts: StepRun[];
  failed: boolean;
  byId(id: string): StepRun;
}

export async function runJob(workflow: Workflow, jobId: string, opts: JobOptions): Promise<JobRun> {
  const job = workflow.jobs[jobId];
  if (!job) throw new Error(`no job ${jobId}`);
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-scenario-job-"));
  try {
    const eventPath = path.join(temp, "event.json");
    fs.writeFileSync(eventPath, JSON.stringify(opts.github.event ?? {}));
    const runnerTemp = path.join(temp, "runner-temp");
    const workspace = path.join(temp, "workspace");
    fs.mkdirSync(runnerTemp);
    fs.mkdirSync(workspace);
    const github = { ...opts.github, token: opts.github.token ?? opts.env.GITHUB_TOKEN };
    const steps: Record<string, { outputs: Record<string, string>; outcome: string }> = {};
    const ctx: Contexts = {
      github,
      inputs: opts.inputs ?? {},
      secrets: opts.secrets ?? {},
      matrix: opts.matrix ?? {},
      runner: { temp: runnerTemp, name: opts.runnerName },
      steps,
      env: {},
    };
    const status: JobStatus = { failed: false };
    const baseEnv: Record<string, string> = {
      ...opts.env,
      ...githubEnv(opts.github),
      GITHUB_EVENT_PATH: eventPath,
      RUNNER_NAME: opts.runnerName,
      RUNNER_TEMP: runnerTemp,
      GITHUB_WORKSPACE: workspace,
    };
    const exported: Record<string, string> = {};
    const jobEnv = evaluateMap(job.env, ctx, status);
    for (const [k, v] of Object.entries(opts.operatorEnv ?? {})) {
      if (!(k in jobEnv)) throw new Error(`operatorEnv ${k}: job ${jobId} does not set it`);
      jobEnv[k] = v;
    }
    const runsOn = [job["runs-on"]].flat().map((l) => interpolate(String(l), ctx, status));
    const run: JobRun = { skippedJob: false, runsOn, steps: [], posts: [], failed: false, byId: (id) => run.steps.find((s) => s.step.id === id)! };
    if (!stepCondition(job.if, ctx, status)) return { ...run, skippedJob: true };
    // The runner that takes the job carries every label; a job pinned elsewhere would not land here.
    if (runsOn.some((l) => /^dbclone-\d+$/.test(l) && l !== opts.runnerName))
      throw new Error(`job ${jobId} is pinned to ${runsOn.join(", ")}, not ${opts.runnerName}`);
    const posts: { bundle: string; inputs: Record<string, string>; env: Record<string, string>; state: Record<string, string>; step: WorkflowStep }[] = [];

    for (const step of job.steps) {
      ctx.env = { ...jobEnv, ...exported };
      if (!stepCondition(step.if, ctx, status)) {
        run.steps.push({ step, skipped: true, exitCode: null });
        continue;
      }
      const env = { ...baseEnv, ...jobEnv, ...exported, ...evaluateMap(step.env, ctx, status) };
      let record: StepRun;
      const standIn = opts.standIns?.[step.name ?? ""];
      if (step.uses?.startsWith("actions/checkout@")) {
        checkout(evaluateMap(step.with, ctx, status), workspace, opts.checkout ?? {});
        record = { step, skipped: false, exitCode: 0 };
      } else if (step.uses && !OUR_ACTION.test(step.uses)) {
        if (!standIn) throw new Error(`step ${step.name ?? step.uses}: only our actions and checkout run here; give a stand-in for the others`);
        await standIn(env, evaluateMap(step.with, ctx, status));
        record = { step, skipped: false, exitCode: 0 };
      } else if (step.uses) {
        const name = OUR_ACTION.exec(step.uses)![1]!;
        const action = readAction(name);
        const inputs = { ...action.defaults, ...evaluateMap(step.with, ctx, status) };
        const result = await runBundle(inWorkspace(action.main, temp), { inputs, env: { ...env, GITHUB_ACTION_PATH: action.dir }, timeoutMs: 180_000 });
        Object.assign(exported, result.env);
        if (action.post)
          posts.push({ bundle: inWorkspace(action.post, temp), inputs, env: { ...env, GITHUB_ACTION_PATH: action.dir }, state: result.state, step });
        record = { step, skipped: false, result, exitCode: result.exitCode };
        if (step.id) steps[step.id] = { outputs: result.outputs, outcome: result.exitCode === 0 ? "success" : "failure" };
      } else {
        if (standIn) {
          await standIn(env, {});
          record = { step, skipped: false, exitCode: 0 };
        } else {
          const { exitCode, output } = await bash(interpolate(step.run ?? "", ctx, status), env, workspace);
          record = { step, skipped: false, log: output, exitCode };
        }
      }
      if (record.exitCode !== 0) status.failed = true;
      run.steps.push(record);
    }
    // The runner runs post steps last, newest first, with the state their main step saved.
    for (const p of posts.reverse()) {
      const result = await runBundle(p.bundle, { inputs: p.inputs, env: p.env, state: p.state, timeoutMs: 180_000 });
      run.posts.push({ step: p.step, skipped: false, result, exitCode: result.exitCode });
      if (result.exitCode !== 0) status.failed = true;
    }
    run.failed = status.failed;
    return run;
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/** actions/checkout: the scenario's files of the workflow's repository, or this repository for dbclone's own. */
function checkout(withInputs: Record<string, string>, workspace: string, files: Record<string, string>): void {
  const target = path.resolve(workspace, withInputs.path ?? ".");
  if (path.relative(workspace, target).startsWith("..")) throw new Error(`checkout path ${withInputs.path} leaves the workspace`);
  if (withInputs.repository === DBCLONE_REPOSITORY) {
    fs.symlinkSync(repoRoot, target);
    return;
  }
  if (withInputs.repository) throw new Error(`checkout of ${withInputs.repository}: only the workflow's repository and ${DBCLONE_REPOSITORY} are here`);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(target, rel)), { recursive: true });
    fs.writeFileSync(path.join(target, rel), text);
  }
}

/**
 * The runner starts a node action in GITHUB_WORKSPACE (relative inputs such as `policy: dbclone.yml`
 * are read from the checkout), while runBundle starts it in a scratch directory of its own: a two-line
 * entry in the job's temp dir moves to the workspace, then loads the real bundle unchanged.
 */
function inWorkspace(bundle: string, temp: string): string {
  const entry = path.join(temp, `${path.basename(path.dirname(bundle))}-${path.basename(bundle)}`);
  fs.writeFileSync(entry, `process.chdir(process.env.GITHUB_WORKSPACE);\nrequire(${JSON.stringify(path.resolve(repoRoot, bundle))});\n`);
  return entry;
}

function readAction(name: string) {
  const dir = path.join(repoRoot, "actions", name);
  const yml = YAML.parse(fs.readFileSync(path.join(dir, "action.yml"), "utf8")) as {
    inputs?: Record<string, { default?: string }>;
    runs: { main: string; post?: string };
  };
  const defaults: Record<string, string> = {};
  for (const [k, v] of Object.entries(yml.inputs ?? {})) if (v.default !== undefined) defaults[k] = String(v.default);
  const rel = (p: string) => path.relative(repoRoot, path.resolve(dir, p));
  return { dir, defaults, main: rel(yml.runs.main), post: yml.runs.post ? rel(yml.runs.post) : undefined };
}

function evaluateMap(map: Record<string, unknown> | undefined, ctx: Contexts, status: JobStatus): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) out[k] = interpolate(String(v), ctx, status);
  return out;
}

/** The GITHUB_* variables the runner sets from the github context. */
function githubEnv(g: Record<string, unknown>): Record<string, string> {
  const pick: Record<string, string> = {
    GITHUB_EVENT_NAME: "event_name",
    GITHUB_REF_NAME: "ref_name",
    GITHUB_REF: "ref",
    GITHUB_HEAD_REF: "head_ref",
    GITHUB_SHA: "sha",
    GITHUB_REPOSITORY: "repository",
    GITHUB_RUN_ID: "run_id",
    GITHUB_RUN_NUMBER: "run_number",
    GITHUB_ACTOR: "actor",
  };
  const out: Record<string, string> = {};
  for (const [env, key] of Object.entries(pick)) if (g[key] !== undefined) out[env] = String(g[key]);
  return out;
}

function bash(script: string, env: Record<string, string>, cwd: string): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-e", "-c", script], { cwd, env: { ...env, PATH: `${PG_BIN}:${process.env.PATH}` }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ exitCode: code, output }));
  });
}
