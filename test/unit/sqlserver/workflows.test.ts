import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = path.resolve(import.meta.dirname, "../../..");
const load = (rel: string) => parse(readFileSync(path.join(root, rel), "utf8")) as { jobs: Record<string, { "runs-on": unknown; steps: { run?: string }[] }> };

describe("Windows workflows", () => {
  it("windows.yml runs on windows-latest: installs SQL Server, builds from a chain, clones twice, tears down", () => {
    const wf = load(".github/workflows/windows.yml");
    const job = wf.jobs.sqlserver!;
    expect(job["runs-on"]).toBe("windows-latest");
    const text = job.steps.map((s) => s.run ?? "").join("\n");
    for (const needle of ["choco install sql-server-express", "WITH DIFFERENTIAL", "BACKUP LOG", "dist/cli/index.cjs build", "--name a --json", "--name b --json", "teardown --name a"]) {
      expect(text).toContain(needle);
    }
  });
  it("the self-hosted example parses and names its runner labels", () => {
    const wf = load("workflows-examples/windows-sqlserver.yml");
    expect(wf.jobs.test!["runs-on"]).toEqual(["self-hosted", "windows", "x64", "sqlserver"]);
  });
});
