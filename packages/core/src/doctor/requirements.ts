// What each dbclone feature needs on a Linux machine, how to tell whether it is there, and the
// Debian/Ubuntu package (or the step) that provides it. The qcow2 driver's own tool list is reused,
// so doctor and the driver never disagree.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { REQUIRED_TOOLS } from "../disk/index.js";
import type { MachineProbe } from "./probe.js";

/** clones: disks, mounts and privileges; postgres: server binaries; docker: the container runtime. */
export type DoctorFeature = "clones" | "postgres" | "docker";

export interface CheckResult {
  /** ok: present; missing: a feature cannot work; advice: works, but could be better. */
  status: "ok" | "missing" | "advice";
  detail: string;
  /** Debian/Ubuntu packages that provide what is missing. */
  aptPackages?: string[];
  /** What to do when apt cannot fix it (a kernel module, sudoers, a filesystem). */
  hint?: string;
}

export interface Requirement {
  id: string;
  feature: DoctorFeature;
  check(probe: MachineProbe, opts: RequirementOptions): Promise<CheckResult>;
}

export interface RequirementOptions {
  /** PostgreSQL major the images need; undefined: any installed major. */
  postgresMajor?: number;
  /** DBCLONE_HOME, where clones' disks go (checked for reflink support). */
  home: string;
}

const ok = (detail: string): CheckResult => ({ status: "ok", detail });

const programRequirement = (program: string, aptPackage: string): Requirement => ({
  id: program,
  feature: "clones",
  async check(probe) {
    const found = await probe.which(program);
    return found ? ok(found) : { status: "missing", detail: `${program} is not on PATH`, aptPackages: [aptPackage] };
  },
});

const deviceRequirement = (id: string, device: string, hint: string, aptPackages?: string[]): Requirement => ({
  id,
  feature: "clones",
  async check(probe) {
    const file = path.join(probe.devDir, device);
    return (await probe.kind(file)) === "char" ? ok(file) : { status: "missing", detail: `${file} is missing`, hint, aptPackages };
  },
});

const privileges: Requirement = {
  id: "root or sudo -n",
  feature: "clones",
  async check(probe) {
    if (probe.root) return ok("running as root");
    if (!(await probe.which("sudo"))) {
      return {
        status: "missing",
        detail: "not root, and sudo is not installed",
        aptPackages: ["sudo"],
        hint: "run as root, or allow this user passwordless sudo",
      };
    }
    const r = await probe.run("sudo", ["-n", "true"]);
    return r.code === 0
      ? ok("passwordless sudo")
      : {
          status: "missing",
          detail: "not root, and sudo -n true asks for a password",
          hint: "run as root, or allow this user passwordless sudo (sudoers NOPASSWD)",
        };
  },
};

const postgresBinaries: Requirement = {
  id: "PostgreSQL server",
  feature: "postgres",
  async check(probe, { postgresMajor }) {
    const candidates: string[] = [];
    if (probe.env.PG_BIN) candidates.push(probe.env.PG_BIN);
    for (const major of postgresMajor !== undefined ? [postgresMajor] : [17, 16, 15, 14, 13]) {
      candidates.push(path.join(probe.postgresRoot, String(major), "bin"));
    }
    for (const dir of candidates) if ((await probe.kind(path.join(dir, "postgres"))) === "file") return ok(dir);
    const wanted = postgresMajor !== undefined ? `PostgreSQL ${postgresMajor}` : "PostgreSQL";
    return {
      status: "missing",
      detail: `no ${wanted} server binaries (postgres, pg_ctl) in ${path.join(probe.postgresRoot, "<major>/bin")} or PG_BIN`,
      // Debian's `postgresql` is its default major (15 on Debian 12); a given major is postgresql-<N>.
      aptPackages: [postgresMajor !== undefined ? `postgresql-${postgresMajor}` : "postgresql"],
    };
  },
};

const dockerEngine: Requirement = {
  id: "docker engine",
  feature: "docker",
  async check(probe) {
    const dockerd = await probe.which("dockerd");
    const socket = probe.env.DOCKER_HOST ? undefined : await probe.kind("/var/run/docker.sock");
    if (dockerd || probe.env.DOCKER_HOST || socket) return ok(probe.env.DOCKER_HOST ?? dockerd ?? "/var/run/docker.sock");
    return { status: "missing", detail: "no dockerd on PATH, no /var/run/docker.sock and no DOCKER_HOST", aptPackages: ["docker.io"] };
  },
};

/** Reflinks make the fastest clones; without them clones use qcow2 over FUSE, which works too. */
const reflinkHome: Requirement = {
  id: "reflinks in DBCLONE_HOME",
  feature: "clones",
  async check(probe, { home }) {
    if ((await probe.kind(home)) !== "dir") return { status: "advice", detail: `${home} does not exist yet; it is made on first use` };
    let dir: string | undefined;
    try {
      dir = await mkdtemp(path.join(home, ".doctor-"));
      await writeFile(path.join(dir, "a"), "reflink probe");
      const r = await probe.run("cp", ["--reflink=always", path.join(dir, "a"), path.join(dir, "b")]);
      return r.code === 0
        ? ok(`${home} supports reflinks`)
        : {
            status: "advice",
            detail: `${home} has no reflink support`,
            hint: "clones use qcow2 over FUSE; an XFS or btrfs DBCLONE_HOME makes reflink copies possible",
          };
    } catch (e) {
      return { status: "advice", detail: `could not test reflinks in ${home}: ${(e as Error).message}` };
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  },
};

export const REQUIREMENTS: readonly Requirement[] = [
  ...REQUIRED_TOOLS.map((t) => programRequirement(t.program, t.packageName)),
  deviceRequirement("/dev/fuse", "fuse", "load the fuse module (modprobe fuse) or, in a container, pass --device /dev/fuse", ["fuse3"]),
  deviceRequirement("loop devices", "loop-control", "load the loop module (modprobe loop) or, in a container, run it --privileged"),
  privileges,
  reflinkHome,
  postgresBinaries,
  dockerEngine,
];
