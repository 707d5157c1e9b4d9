// Every action.yml and example workflow must pass GitHub's own parser, and the actions' code and
// metadata must agree on input and output names.
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import * as buildImage from "../../../actions/build-image/src/constants.js";
import * as cloneDb from "../../../actions/clone-db/src/constants.js";
import * as teardown from "../../../actions/teardown/src/constants.js";
import { loadWorkflowParser, type WorkflowParser } from "./workflow-parser.js";

const repoRoot = path.resolve(import.meta.dirname, "../../..");
const actionNames = ["build-image", "clone-db", "teardown"] as const;
const constants: Record<(typeof actionNames)[number], { Inputs: object; Outputs: object }> = {
  "build-image": buildImage,
  "clone-db": cloneDb,
  teardown,
};
const exampleDir = path.join(repoRoot, "workflows-examples");
const examples = fs.readdirSync(exampleDir).filter((f) => f.endsWith(".yml"));

let parser: WorkflowParser;
beforeAll(() => {
  parser = loadWorkflowParser();
});

function actionErrors(name: string, content: string): string[] {
  const result = parser.parseAction({ name, content }, new parser.NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => e.message);
}

async function workflowErrors(name: string, content: string): Promise<string[]> {
  const result = parser.parseWorkflow({ name, content }, new parser.NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((e) => e.message);
  if (errors.length || !result.value) return errors.length ? errors : [`${name}: parsed to nothing`];
  const template = await parser.convertWorkflowTemplate(result.context, result.value);
  return (template.errors ?? []).map((e) => e.Message);
}

interface ActionYaml {
  inputs: Record<string, { description?: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description?: string }>;
  runs: { using: string; main: string; post?: string; "post-if"?: string };
}
const readAction = (name: string) => YAML.parse(fs.readFileSync(path.join(repoRoot, "actions", name, "action.yml"), "utf8")) as ActionYaml;

describe.each(actionNames)("actions/%s/action.yml", (name) => {
  const file = path.join(repoRoot, "actions", name, "action.yml");

  it("passes GitHub's action parser with no errors", () => {
    expect(actionErrors(file, fs.readFileSync(file, "utf8"))).toEqual([]);
  });

  it("runs a node24 bundle under dist/<action>/ inside the repository", () => {
    const { runs } = readAction(name);
    expect(runs.using).toBe("node24");
    for (const entry of [runs.main, runs.post].filter((e): e is string => e !== undefined)) {
      const resolved = path.resolve(path.dirname(file), entry);
      expect(path.relative(repoRoot, resolved)).toMatch(new RegExp(`^dist/${name}/[a-z]+\\.cjs$`));
    }
  });

  it("documents every input and output", () => {
    const action = readAction(name);
    for (const [id, def] of [...Object.entries(action.inputs), ...Object.entries(action.outputs)]) {
      expect(def.description?.trim(), `${name}: ${id} has no description`).toBeTruthy();
    }
  });

  it("declares exactly the inputs and outputs named in src/constants.ts", () => {
    const action = readAction(name);
    expect(Object.values(constants[name].Inputs).sort()).toEqual(Object.keys(action.inputs).sort());
    expect(Object.values(constants[name].Outputs).sort()).toEqual(Object.keys(action.outputs).sort());
  });
});

it("clone-db tears down in a post step that runs even when the job failed", () => {
  const { runs } = readAction("clone-db");
  expect(runs.post).toBe("../../dist/clone-db/post.cjs");
  expect(runs["post-if"]).toBe("always()");
});

describe.each(examples)("workflows-examples/%s", (file) => {
  const content = fs.readFileSync(path.join(exampleDir, file), "utf8");

  it("passes GitHub's workflow parser with no errors", async () => {
    expect(await workflowErrors(file, content)).toEqual([]);
  });

  it("uses our actions with inputs they declare, required ones set", () => {
    const workflow = YAML.parse(content) as { jobs: Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }> };
    const ours = Object.values(workflow.jobs)
      .flatMap((job) => job.steps ?? [])
      .filter((step) => step.uses?.startsWith("dbclone-org/dbclone/"));
    // Every example uses dbclone: through our actions, or (the Windows preview, the catalog) through the CLI.
    expect(ours.length > 0 || /(\bdbclone|dist\/cli\/index\.cjs) (build|clone|teardown|catalog)\b/.test(content)).toBe(true);
    for (const step of ours) {
      const m = /^dbclone-org\/dbclone\/actions\/([a-z-]+)@v0$/.exec(step.uses!);
      expect(m, `${step.uses} is not dbclone-org/dbclone/actions/<name>@v0`).not.toBeNull();
      const action = readAction(m![1]!);
      const given = Object.keys(step.with ?? {});
      for (const key of given) expect(Object.keys(action.inputs), `${file}: ${step.uses} has no input '${key}'`).toContain(key);
      for (const [key, def] of Object.entries(action.inputs)) {
        if (def.required) expect(given, `${file}: ${step.uses} needs '${key}'`).toContain(key);
      }
    }
  });

  it("reads only outputs our actions declare", () => {
    const workflow = YAML.parse(content) as { jobs: Record<string, { steps?: { id?: string; uses?: string }[] }> };
    const stepAction = new Map<string, string>();
    for (const step of Object.values(workflow.jobs).flatMap((j) => j.steps ?? [])) {
      const m = /^dbclone-org\/dbclone\/actions\/([a-z-]+)@/.exec(step.uses ?? "");
      if (step.id && m) stepAction.set(step.id, m[1]!);
    }
    for (const [, id, output] of content.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
      const action = stepAction.get(id!);
      if (action) expect(Object.keys(readAction(action).outputs), `${file}: ${action} has no output '${output}'`).toContain(output);
    }
  });
});

describe("the validator itself", () => {
  const validAction = fs.readFileSync(path.join(repoRoot, "actions/teardown/action.yml"), "utf8");

  it("rejects an action running on an unknown node version", () => {
    const broken = validAction.replace("using: node24", "using: node99");
    expect(broken).not.toBe(validAction);
    expect(actionErrors("broken.yml", broken).join("\n")).toContain("node99");
  });

  it("rejects an unknown key in an action", () => {
    const broken = validAction.replace("outputs:\n", "outputz:\n");
    expect(broken).not.toBe(validAction);
    expect(actionErrors("broken.yml", broken).join("\n")).toContain("outputz");
  });

  it("rejects a workflow step with an unknown key", async () => {
    const valid = fs.readFileSync(path.join(exampleDir, examples[0]!), "utf8");
    const broken = valid.replace("    steps:\n", "    stepz:\n");
    expect(broken).not.toBe(valid);
    expect((await workflowErrors("broken.yml", broken)).join("\n")).toContain("stepz");
  });
});

// The project's own CI workflows (e.g. the Windows SQL Server proof) must parse too.
const ownDir = path.join(repoRoot, ".github", "workflows");
const own = fs.existsSync(ownDir) ? fs.readdirSync(ownDir).filter((f) => f.endsWith(".yml")) : [];
describe.each(own)(".github/workflows/%s", (file) => {
  it("passes GitHub's workflow parser with no errors", async () => {
    expect(await workflowErrors(file, fs.readFileSync(path.join(ownDir, file), "utf8"))).toEqual([]);
  });
});
