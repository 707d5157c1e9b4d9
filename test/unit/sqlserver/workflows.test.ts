// The Windows workflows, read as GitHub reads them: the CI job that proves SQL Server on
// windows-latest, and the self-hosted example. PowerShell cannot run here, so what its steps do is
// checked where it can be: the registry settings the setup step writes are applied to the fake
// SQL Server's network configuration (TCP and mixed authentication), and each step's preamble.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FakeSqlServer } from "./fake-sqlserver.js";
import { FakeWindows } from "./fake-windows.js";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Workflow {
  permissions?: Record<string, string>;
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, { "runs-on": unknown; env?: Record<string, string>; steps: Step[] }>;
}
const root = path.resolve(import.meta.dirname, "../../..");
const text = (rel: string) => readFileSync(path.join(root, rel), "utf8");
const load = (rel: string) => parse(text(rel)) as Workflow;

const PREAMBLE = [
  "$ErrorActionPreference = 'Stop'",
  "$PSNativeCommandUseErrorActionPreference = $true",
  "[Console]::OutputEncoding = [Text.UTF8Encoding]::new($false)",
];

/** Set-ItemProperty lines of a script, with $key / "$key\…" expanded to registry paths relative to the instance key. */
function registryWrites(script: string): { path: string; name: string; value: string }[] {
  return [...script.matchAll(/^\s*Set-ItemProperty -Path (\S+) -Name (\w+) -Value (\S+)\s*$/gm)].map((m) => ({
    path: m[1]!.replace(/^"?\$key/, "MSSQLServer").replace(/"$/, ""),
    name: m[2]!,
    value: m[3]!.replace(/^'(.*)'$/, "$1"),
  }));
}

/** What SQL Server reads from those values at its next start (SQL Server Configuration Manager's settings). */
function applyRegistry(server: FakeSqlServer, writes: ReturnType<typeof registryWrites>): void {
  for (const w of writes) {
    if (w.path === "MSSQLServer" && w.name === "LoginMode") server.network.loginMode = Number(w.value);
    if (w.path === "MSSQLServer\\SuperSocketNetLib\\Tcp" && w.name === "Enabled") server.network.tcpEnabled = w.value === "1";
    if (w.path === "MSSQLServer\\SuperSocketNetLib\\Tcp\\IPAll" && w.name === "TcpPort") server.network.tcpPort = Number(w.value);
  }
}

describe(".github/workflows/windows.yml", () => {
  const wf = load(".github/workflows/windows.yml");
  const job = wf.jobs.sqlserver!;
  const runs = job.steps.filter((s) => s.run);

  it("runs on windows-latest: installs SQL Server, builds from a chain, clones twice, tears down", () => {
    expect(job["runs-on"]).toBe("windows-latest");
    const all = runs.map((s) => s.run).join("\n");
    for (const needle of [
      "choco install sql-server-express",
      "WITH DIFFERENTIAL",
      "BACKUP LOG",
      "dist/cli/index.cjs build",
      "--name a --json",
      "--name b --json",
      "teardown --name a",
    ]) {
      expect(all).toContain(needle);
    }
    expect(job.steps.find((s) => s.run?.includes("teardown --name a"))!.if).toBe("always()");
  });

  it("sets read-only permissions and pins every action by a full commit SHA", () => {
    expect(wf.permissions).toEqual({ contents: "read" });
    for (const s of job.steps.filter((x) => x.uses)) expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
  });

  it("opens every step with stop-on-error, native exit codes checked, and a UTF-8 console", () => {
    expect(wf.defaults?.run?.shell).toBe("pwsh");
    for (const s of runs) expect(s.run!.split("\n").slice(0, 3), s.name ?? s.run).toEqual(PREAMBLE);
  });

  it("does not rely on choco --params, and holds no password in the file", () => {
    expect(runs.map((s) => s.run).join("\n")).not.toMatch(/--params|SAPWD/i);
    expect(job.env?.DBCLONE_SQLSERVER_PASSWORD).toBeUndefined();
    const setup = runs.find((s) => /LoginMode/.test(s.run!))!.run!;
    expect(setup).toContain("::add-mask::$password");
    expect(setup).toMatch(/DBCLONE_SQLSERVER_PASSWORD=\$password" \| Out-File -FilePath \$env:GITHUB_ENV -Append/);
  });

  it("dry run: a fresh Express refuses dbclone; after the setup step's registry writes it answers on TCP with SQL logins", () => {
    const server = new FakeSqlServer(new FakeWindows());
    server.databases.set("master", { name: "master", state: "ONLINE" } as never);
    expect(() => server.connectClient("master")).toThrow(/Could not connect/);
    const writes = registryWrites(runs.map((s) => s.run).join("\n"));
    expect(writes.length).toBeGreaterThanOrEqual(3);
    applyRegistry(server, writes);
    expect(() => server.connectClient("master")).not.toThrow();
    expect(`localhost,${server.network.tcpPort}`).toBe(job.env!.DBCLONE_SQLSERVER);
  });
});

describe("workflows-examples/windows-sqlserver.yml", () => {
  const wf = load("workflows-examples/windows-sqlserver.yml");
  const job = wf.jobs.test!;

  it("names its self-hosted runner labels and reads the published actions, not a checkout's dist", () => {
    expect(job["runs-on"]).toEqual(["self-hosted", "windows", "x64", "sqlserver"]);
    const src = text("workflows-examples/windows-sqlserver.yml");
    expect(src).not.toMatch(/node dist\/|dist\/cli/);
    expect(job.steps.map((s) => s.uses).filter(Boolean)).toEqual(
      expect.arrayContaining(["dbclone-org/dbclone/actions/build-image@v0", "dbclone-org/dbclone/actions/clone-db@v0"]),
    );
  });

  it("hands the masking key to the build step alone, never to a step that runs the project's code", () => {
    expect(JSON.stringify(job.env ?? {})).not.toContain("MASKING_KEY");
    for (const s of job.steps) {
      const holds = JSON.stringify(s).includes("DBCLONE_MASKING_KEY");
      expect(holds, s.name ?? s.run ?? s.uses).toBe(s.uses === "dbclone-org/dbclone/actions/build-image@v0");
    }
    const build = job.steps.find((s) => s.uses?.includes("build-image"))!;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
    expect(build.with!["masking-key"]).toBe("${{ secrets.DBCLONE_MASKING_KEY }}");
    for (const s of job.steps.filter((x) => x.run)) expect(JSON.stringify(s)).not.toMatch(/SQLSERVER_PASSWORD/);
  });

  it("names the clone under workflow_dispatch too (no pull request number there)", () => {
    const clone = job.steps.find((s) => s.uses?.includes("clone-db"))!;
    const name = clone.with!.name!;
    expect(name).toContain("github.event.pull_request.number");
    expect(name).toMatch(/\|\| format\('run-\{0\}-\{1\}', github\.run_id, github\.run_attempt\)/);
  });
});
