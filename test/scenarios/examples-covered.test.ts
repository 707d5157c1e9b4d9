// Every Linux workflow example is exercised by a scenario named after it; the Windows example cannot
// run here (no SQL Server) and stays parsed and linted only (test/unit/workflows).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../e2e/harness.js";

const examples = fs.readdirSync(path.join(repoRoot, "workflows-examples")).filter((f) => f.endsWith(".yml"));
const linux = examples.filter((f) => !fs.readFileSync(path.join(repoRoot, "workflows-examples", f), "utf8").includes("windows"));

describe("workflow examples", () => {
  it("are all covered, the Windows one excepted", () => {
    expect(linux.length).toBeGreaterThanOrEqual(4);
    expect(examples.filter((f) => !linux.includes(f))).toEqual(["windows-sqlserver.yml"]);
  });

  it.each(linux)("%s has a scenario test that runs it", (file) => {
    const scenario = path.join(import.meta.dirname, file.replace(/\.yml$/, ".test.ts"));
    expect(fs.existsSync(scenario), `${path.relative(repoRoot, scenario)} is missing`).toBe(true);
    expect(fs.readFileSync(scenario, "utf8")).toContain(`loadExample("${file}")`);
  });
});
