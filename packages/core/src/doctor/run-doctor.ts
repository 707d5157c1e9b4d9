// `dbclone doctor`: check every prerequisite of the features asked, say what is missing with the
// exact command that installs it, and with `fix` install the Debian/Ubuntu packages with apt.
import { silentReporter, type Reporter } from "../reporter.js";
import { machineProbe, type MachineProbe } from "./probe.js";
import { REQUIREMENTS, type CheckResult, type DoctorFeature, type Requirement } from "./requirements.js";

export interface DoctorOptions {
  features: DoctorFeature[];
  home: string;
  postgresMajor?: number;
  /** Install missing packages with apt-get (root only; otherwise print the command). */
  fix?: boolean;
  probe?: MachineProbe;
  reporter?: Reporter;
  /** One line of the report, as it is found (default: nothing). */
  print?: (line: string) => void;
}

export interface DoctorCheck extends CheckResult {
  id: string;
  feature: DoctorFeature;
}

export interface DoctorReport {
  /** True when nothing a requested feature needs is missing (after the fix, when one ran). */
  ok: boolean;
  checks: DoctorCheck[];
  /** apt packages that would provide what is missing. */
  missingPackages: string[];
  /** The command that installs them, or undefined when nothing is missing. */
  installCommand?: string;
  /** Packages apt installed (fix). */
  installed: string[];
}

const MARK = { ok: "ok  ", missing: "MISSING", advice: "note" } as const;

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const probe = opts.probe ?? machineProbe();
  const print = opts.print ?? (() => {});
  let checks = await checkAll(probe, opts, print);
  let missingPackages = packagesOf(checks);
  const installed: string[] = [];
  if (opts.fix && missingPackages.length > 0) {
    if (await installWithApt(probe, missingPackages, opts.reporter ?? silentReporter, print)) {
      installed.push(...missingPackages);
      print("");
      print("Checking again after the install:");
      checks = await checkAll(probe, opts, print);
      missingPackages = packagesOf(checks);
    }
  }
  const ok = checks.every((c) => c.status !== "missing");
  const installCommand = missingPackages.length ? aptCommand(probe, missingPackages) : undefined;
  if (!ok) {
    print("");
    if (installCommand) print(`To install what is missing: ${installCommand}`);
    for (const c of checks) if (c.status === "missing" && c.hint) print(`${c.id}: ${c.hint}`);
  }
  return { ok, checks, missingPackages, installCommand, installed };
}

async function checkAll(probe: MachineProbe, opts: DoctorOptions, print: (line: string) => void): Promise<DoctorCheck[]> {
  const wanted: Requirement[] = REQUIREMENTS.filter((r) => opts.features.includes(r.feature));
  const checks: DoctorCheck[] = [];
  for (const r of wanted) {
    const result = await r.check(probe, { home: opts.home, postgresMajor: opts.postgresMajor });
    checks.push({ id: r.id, feature: r.feature, ...result });
    const fix = result.status === "missing" && result.aptPackages ? `  (apt: ${result.aptPackages.join(" ")})` : "";
    print(`  ${MARK[result.status].padEnd(7)}  ${r.id}: ${result.detail}${fix}`);
  }
  return checks;
}

const packagesOf = (checks: DoctorCheck[]): string[] => [...new Set(checks.filter((c) => c.status === "missing").flatMap((c) => c.aptPackages ?? []))].sort();

function aptCommand(probe: MachineProbe, packages: string[]): string {
  return `${probe.root ? "" : "sudo "}apt-get install -y --no-install-recommends ${packages.join(" ")}`;
}

/** apt-get update + install as root; otherwise print the command and install nothing. */
async function installWithApt(probe: MachineProbe, packages: string[], reporter: Reporter, print: (line: string) => void): Promise<boolean> {
  print("");
  if (!probe.root) {
    print(`Not root: nothing installed. Run: ${aptCommand(probe, packages)}`);
    return false;
  }
  if (!(await probe.which("apt-get"))) {
    print(`apt-get is not on PATH (not Debian/Ubuntu?): install these packages or their equivalents: ${packages.join(" ")}`);
    return false;
  }
  for (const p of packages) print(`Installing ${p} (apt-get)`);
  const env = { ...probe.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = await probe.run("apt-get", ["update", "-qq"], { env, reporter, timeoutMs: 10 * 60_000 });
  if (update.code !== 0) reporter.warn(`apt-get update failed (${lastLine(update.stderr)}); installing from the lists already there`);
  const install = await probe.run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], { env, reporter, timeoutMs: 30 * 60_000 });
  if (install.code !== 0) {
    print(`apt-get install failed: ${lastLine(install.stderr)}`);
    return false;
  }
  return true;
}

const lastLine = (text: string): string => text.trim().split("\n").pop() ?? "";
