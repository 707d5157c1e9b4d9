// dbclone doctor against a fake machine: a PATH of stand-in programs, a fake /dev and a fake
// PostgreSQL tree, so every outcome (present, missing, fixed by apt, not root) is exercised here.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { machineProbe, runDoctor, type MachineProbe } from "../../../packages/core/src/doctor/index.js";
import { REQUIRED_TOOLS } from "../../../packages/core/src/disk/index.js";
import { runCli } from "../../unit/cli/helpers.js";

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

interface FakeMachine {
  dir: string;
  bin: string;
  dev: string;
  pg: string;
  home: string;
  probe(overrides?: Partial<MachineProbe>): MachineProbe;
  program(name: string, script?: string): void;
}

function fakeMachine(): FakeMachine {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbclone-doctor-"));
  temps.push(dir);
  const m: FakeMachine = {
    dir,
    bin: path.join(dir, "bin"),
    dev: path.join(dir, "dev"),
    pg: path.join(dir, "postgresql"),
    home: path.join(dir, "home"),
    // Only the fake bin (plus sh for the stand-ins' own shebang); real PATH entries would leak in.
    probe: (overrides = {}) => machineProbe({ PATH: m.bin }, { root: false, devDir: m.dev, postgresRoot: m.pg, ...overrides }),
    program(name, script = "exit 0") {
      fs.writeFileSync(path.join(m.bin, name), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    },
  };
  for (const d of [m.bin, m.dev, m.pg, m.home]) fs.mkdirSync(d);
  return m;
}

const checkOf = (report: Awaited<ReturnType<typeof runDoctor>>, id: string) => report.checks.find((c) => c.id === id)!;

describe("dbclone doctor", () => {
  it("names every missing program with the apt package that provides it, and the one command to install them", async () => {
    const m = fakeMachine();
    m.program("qemu-img");
    m.program("sudo", "exit 0");
    const report = await runDoctor({ features: ["clones"], home: m.home, probe: m.probe() });
    expect(report.ok).toBe(false);
    expect(checkOf(report, "qemu-img").status).toBe("ok");
    expect(checkOf(report, "qemu-storage-daemon")).toMatchObject({ status: "missing", aptPackages: ["qemu-system-common"] });
    expect(checkOf(report, "mkfs.xfs")).toMatchObject({ status: "missing", aptPackages: ["xfsprogs"] });
    expect(report.missingPackages).toEqual(["fuse3", "mount", "qemu-system-common", "xfsprogs"]);
    expect(report.installCommand).toBe("sudo apt-get install -y --no-install-recommends fuse3 mount qemu-system-common xfsprogs");
    // Every tool the qcow2 driver needs is checked: doctor and the driver share one list.
    for (const t of REQUIRED_TOOLS) expect(report.checks.map((c) => c.id)).toContain(t.program);
  });

  it("reports /dev/fuse and loop devices missing when they are not character devices", async () => {
    const m = fakeMachine();
    fs.writeFileSync(path.join(m.dev, "fuse"), "");
    const report = await runDoctor({ features: ["clones"], home: m.home, probe: m.probe() });
    expect(checkOf(report, "/dev/fuse")).toMatchObject({ status: "missing", hint: expect.stringMatching(/modprobe fuse/) });
    expect(checkOf(report, "loop devices")).toMatchObject({ status: "missing", hint: expect.stringMatching(/modprobe loop/) });
    // The real machine's devices are character devices and pass.
    const real = await runDoctor({ features: ["clones"], home: m.home, probe: m.probe({ devDir: "/dev" }) });
    expect(checkOf(real, "/dev/fuse").status).toBe("ok");
    expect(checkOf(real, "loop devices").status).toBe("ok");
  });

  it("without root, needs passwordless sudo: a sudo that asks for a password is reported with what to do", async () => {
    const m = fakeMachine();
    m.program("sudo", "exit 1");
    const refused = await runDoctor({ features: ["clones"], home: m.home, probe: m.probe() });
    expect(checkOf(refused, "root or sudo -n")).toMatchObject({ status: "missing", hint: expect.stringMatching(/NOPASSWD/) });
    m.program("sudo", '[ "$1" = -n ] && [ "$2" = true ]');
    const allowed = await runDoctor({ features: ["clones"], home: m.home, probe: m.probe() });
    expect(checkOf(allowed, "root or sudo -n")).toMatchObject({ status: "ok", detail: "passwordless sudo" });
  });

  it("finds PostgreSQL server binaries of the major asked for, and names postgresql-<major> when absent", async () => {
    const m = fakeMachine();
    fs.mkdirSync(path.join(m.pg, "14/bin"), { recursive: true });
    fs.writeFileSync(path.join(m.pg, "14/bin/postgres"), "");
    const any = await runDoctor({ features: ["postgres"], home: m.home, probe: m.probe() });
    expect(any.ok).toBe(true);
    expect(checkOf(any, "PostgreSQL server").detail).toBe(path.join(m.pg, "14/bin"));
    const fifteen = await runDoctor({ features: ["postgres"], home: m.home, postgresMajor: 15, probe: m.probe() });
    expect(fifteen.ok).toBe(false);
    expect(fifteen.missingPackages).toEqual(["postgresql-15"]);
  });

  it("checks the Docker engine only when asked", async () => {
    const m = fakeMachine();
    const without = await runDoctor({ features: ["postgres"], home: m.home, probe: m.probe() });
    expect(without.checks.map((c) => c.feature)).not.toContain("docker");
    const probe = m.probe({ kind: async () => undefined });
    const docker = await runDoctor({ features: ["docker"], home: m.home, probe });
    expect(docker.missingPackages).toEqual(["docker.io"]);
    m.program("dockerd");
    expect((await runDoctor({ features: ["docker"], home: m.home, probe })).ok).toBe(true);
  });

  it("--fix as root runs apt-get for exactly the missing packages, prints each, and checks again", async () => {
    const m = fakeMachine();
    const log = path.join(m.dir, "apt.log");
    // A stand-in apt-get: records its arguments; `install` puts the programs on the fake PATH.
    m.program(
      "apt-get",
      `echo "$DEBIAN_FRONTEND $*" >> ${log}\n[ "$1" = install ] || exit 0\nfor p in qemu-storage-daemon mkfs.xfs; do printf '#!/bin/sh\\n' > ${m.bin}/$p; /bin/chmod +x ${m.bin}/$p; done`,
    );
    for (const t of REQUIRED_TOOLS) if (!["qemu-storage-daemon", "mkfs.xfs"].includes(t.program)) m.program(t.program);
    const lines: string[] = [];
    const report = await runDoctor({
      features: ["clones"],
      home: m.home,
      fix: true,
      print: (l) => lines.push(l),
      probe: m.probe({ root: true, devDir: "/dev" }),
    });
    expect(fs.readFileSync(log, "utf8")).toBe("noninteractive update -qq\nnoninteractive install -y -qq --no-install-recommends qemu-system-common xfsprogs\n");
    expect(lines).toContain("Installing qemu-system-common (apt-get)");
    expect(lines).toContain("Installing xfsprogs (apt-get)");
    expect(report).toMatchObject({ ok: true, installed: ["qemu-system-common", "xfsprogs"], missingPackages: [] });
  });

  it("--fix without root installs nothing and prints the sudo command", async () => {
    const m = fakeMachine();
    const log = path.join(m.dir, "apt.log");
    m.program("apt-get", `echo "$*" >> ${log}`);
    m.program("sudo", "exit 1");
    const lines: string[] = [];
    const report = await runDoctor({ features: ["clones"], home: m.home, fix: true, print: (l) => lines.push(l), probe: m.probe() });
    expect(report.ok).toBe(false);
    expect(report.installed).toEqual([]);
    expect(fs.existsSync(log)).toBe(false);
    expect(lines.join("\n")).toMatch(/Not root: nothing installed\. Run: sudo apt-get install -y --no-install-recommends .*qemu-utils/);
  });

  it("the CLI exits 1 while something is missing, with the report as JSON on stdout", async () => {
    const m = fakeMachine();
    const r = await runCli(["doctor", "--json", "--home", m.home], { PATH: m.bin });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.missingPackages).toContain("qemu-utils");
    expect(r.stderr).toMatch(/To install what is missing: .*apt-get install -y --no-install-recommends/);
  });
});
