// Windows scripts run through here: PowerShell on a temp .ps1 (parameters in a JSON file, never
// spliced into the code), diskpart on a temp /s script (exit code checked, output never parsed,
// because it is localized), and plain commands such as icacls. All via runtime/exec.ts run().
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CommandError, UsageError } from "../errors.js";
import { silentReporter, type Reporter } from "../reporter.js";
import { run } from "./exec.js";

/** The seam the VHDX driver and the SQL Server engine use; tests pass a fake that records scripts. */
export interface WindowsScriptRunner {
  /** Run a PowerShell body with `$P` bound to `params`; resolves with what it passed to Write-DbcloneResult. */
  powershell<T = unknown>(label: string, body: string, params: Record<string, unknown>): Promise<T>;
  /** Run a diskpart script (`diskpart /s`); rejects on a non-zero exit code. */
  diskpart(label: string, script: string): Promise<void>;
  /** Run a plain program (argv, no shell); resolves with stdout. */
  command(program: string, args: string[]): Promise<string>;
}

/** PowerShell's single-quote characters: ASCII ' and the typographic ones it also accepts. */
const PS_SINGLE_QUOTES = /['\u2018\u2019\u201A\u201B]/g;

/** A PowerShell single-quoted literal: every quote character doubled, nothing else expanded. */
export function psLiteral(value: string): string {
  if (/[\0]/.test(value)) throw new UsageError(`A PowerShell string may not hold a NUL character: ${JSON.stringify(value)}`);
  return `'${value.replace(PS_SINGLE_QUOTES, (q) => q + q)}'`;
}

/**
 * The whole .ps1: strict errors, `$P` read from the JSON parameter file, the body in a try/catch
 * that prints the error and exits 1, and a result helper that writes JSON to `resultFile`.
 */
export function buildPowerShellScript(body: string, paramsFile: string, resultFile: string): string {
  return [
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    "Set-StrictMode -Version 3.0",
    `$P = [IO.File]::ReadAllText(${psLiteral(paramsFile)}, [Text.Encoding]::UTF8) | ConvertFrom-Json`,
    "function Write-DbcloneResult($Value) {",
    "  $json = ConvertTo-Json -InputObject $Value -Depth 8 -Compress",
    `  [IO.File]::WriteAllText(${psLiteral(resultFile)}, $json, (New-Object Text.UTF8Encoding $false))`,
    "}",
    "try {",
    ...body
      .trimEnd()
      .split("\n")
      .map((l) => (l.length ? `  ${l}` : l)),
    "} catch {",
    "  [Console]::Error.WriteLine(($_ | Out-String))",
    "  exit 1",
    "}",
    "exit 0",
    "",
  ].join("\r\n");
}

export interface PowerShellOptions {
  /** powershell.exe (Windows PowerShell 5.1, ships the Storage module) or pwsh. */
  executable?: string;
  timeoutMs?: number;
  reporter?: Reporter;
  secrets?: string[];
}

/** The argv for one script file: no profile, no prompts, no execution policy in the way. */
export const powerShellArgs = (scriptFile: string): string[] => ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", scriptFile];

const BOM = "\uFEFF";

/** Run `body` as a temp script with `params` as `$P`; resolves with the JSON it reported (or null). */
export async function runPowerShell<T = unknown>(body: string, params: Record<string, unknown>, opts: PowerShellOptions = {}): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-ps-"));
  try {
    const scriptFile = path.join(dir, "script.ps1");
    const paramsFile = path.join(dir, "params.json");
    const resultFile = path.join(dir, "result.json");
    // A BOM makes Windows PowerShell 5.1 read the script as UTF-8 rather than the ANSI code page.
    await writeFile(scriptFile, BOM + buildPowerShellScript(body, paramsFile, resultFile), "utf8");
    await writeFile(paramsFile, JSON.stringify(params), "utf8");
    await run(opts.executable ?? "powershell.exe", powerShellArgs(scriptFile), {
      timeoutMs: opts.timeoutMs,
      reporter: opts.reporter,
      secrets: opts.secrets,
    });
    let text: string;
    try {
      text = await readFile(resultFile, "utf8");
    } catch {
      return null as T;
    }
    return JSON.parse(text.replace(/^\uFEFF/, "")) as T;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Run a diskpart script. Written as UTF-16LE with a BOM so non-ASCII paths survive; only the exit
 * code is trusted (diskpart's text is localized), and its stdout goes into the error for a person.
 */
export async function runDiskpart(script: string, opts: { reporter?: Reporter; timeoutMs?: number } = {}): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-diskpart-"));
  try {
    const file = path.join(dir, "script.txt");
    await writeFile(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(script.replace(/\r?\n/g, "\r\n"), "utf16le")]));
    const r = await run("diskpart", ["/s", file], { allowFailure: true, reporter: opts.reporter, timeoutMs: opts.timeoutMs });
    if (r.code !== 0) {
      const tail = r.stdout.trim().split(/\r?\n/).slice(-5).join("\n");
      throw new CommandError(`diskpart /s failed with exit ${r.code}:\n${script}\n${tail}`, "diskpart /s", r.code, r.stdout + r.stderr);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The real runner: PowerShell, diskpart and commands on this Windows host. */
export function realWindowsRunner(opts: PowerShellOptions = {}): WindowsScriptRunner {
  const reporter = opts.reporter ?? silentReporter;
  return {
    powershell: <T>(label: string, body: string, params: Record<string, unknown>) => {
      reporter.debug(`powershell: ${label}`);
      return runPowerShell<T>(body, params, opts);
    },
    diskpart: (label, script) => {
      reporter.debug(`diskpart: ${label}`);
      return runDiskpart(script, { reporter, timeoutMs: opts.timeoutMs });
    },
    command: async (program, args) => (await run(program, args, { reporter, timeoutMs: opts.timeoutMs, secrets: opts.secrets })).stdout,
  };
}
