// Loads GitHub's own workflow/action parser (@actions/workflow-parser). Its ESM build imports its JSON
// schemas without `with { type: "json" }`, which Node 20 refuses; bundling it once with esbuild
// (which inlines the JSON) gives a CommonJS copy Node loads as is.
import { buildSync } from "esbuild";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import type * as Workflows from "@actions/workflow-parser";
import type * as Actions from "@actions/workflow-parser/actions/index";

export type WorkflowParser = Pick<typeof Workflows, "parseWorkflow" | "convertWorkflowTemplate" | "NoOperationTraceWriter"> &
  Pick<typeof Actions, "parseAction" | "convertActionTemplate">;

export function loadWorkflowParser(): WorkflowParser {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-workflow-parser-"));
  try {
    const outfile = path.join(dir, "parser.cjs");
    buildSync({
      stdin: {
        contents: [
          'export { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } from "@actions/workflow-parser";',
          'export { parseAction, convertActionTemplate } from "@actions/workflow-parser/actions/index";',
        ].join("\n"),
        resolveDir: process.cwd(),
        loader: "js",
      },
      outfile,
      bundle: true,
      platform: "node",
      format: "cjs",
      logLevel: "error",
    });
    return createRequire(import.meta.url)(outfile) as WorkflowParser;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
