// How doctor looks at the machine: PATH lookups, device files, commands. One object so tests can
// point it at a fake PATH and a fake /dev without touching the real machine.
import { access, constants, stat } from "node:fs/promises";
import path from "node:path";
import { isRoot, run, type ExecOptions, type ExecResult } from "../runtime/exec.js";

export interface MachineProbe {
  env: NodeJS.ProcessEnv;
  /** Running as root (privileged steps need no sudo). */
  root: boolean;
  /** Where device files live (/dev). */
  devDir: string;
  /** Where Debian/Ubuntu put PostgreSQL server binaries (/usr/lib/postgresql/<major>/bin). */
  postgresRoot: string;
  /** The first executable `program` on env.PATH, or undefined. */
  which(program: string): Promise<string | undefined>;
  /** Kind of a file: a character device, a directory, a file, or undefined when it does not exist. */
  kind(file: string): Promise<"char" | "dir" | "file" | "other" | undefined>;
  run(program: string, args: string[], opts?: ExecOptions): Promise<ExecResult>;
}

export function machineProbe(env: NodeJS.ProcessEnv = process.env, overrides: Partial<MachineProbe> = {}): MachineProbe {
  const probe: MachineProbe = {
    env,
    root: isRoot(),
    devDir: "/dev",
    postgresRoot: "/usr/lib/postgresql",
    async which(program) {
      for (const dir of (probe.env.PATH ?? "").split(path.delimiter)) {
        if (!dir) continue;
        const file = path.join(dir, program);
        try {
          await access(file, constants.X_OK);
          if ((await stat(file)).isFile()) return file;
        } catch {
          // Not in this directory.
        }
      }
      return undefined;
    },
    async kind(file) {
      try {
        const s = await stat(file);
        return s.isCharacterDevice() ? "char" : s.isDirectory() ? "dir" : s.isFile() ? "file" : "other";
      } catch {
        return undefined;
      }
    },
    // Commands see the probe's PATH, so a fake PATH in a test decides what `sudo` or `cp` is.
    run: (program, args, opts = {}) => run(program, args, { env: probe.env, ...opts, allowFailure: true }),
    ...overrides,
  };
  return probe;
}
