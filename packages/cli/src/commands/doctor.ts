// `dbclone doctor`: what this machine still needs for dbclone, with the command that installs it;
// `--fix` installs the Debian/Ubuntu packages with apt when run as root. Exit 1 while anything is missing.
import type { Command } from "commander";
import { UsageError } from "../../../core/src/errors.js";
import { machineProbe, runDoctor, type DoctorFeature } from "../../../core/src/doctor/index.js";
import type { CliContext } from "../context.js";
import { examples, positiveInteger } from "../options.js";
import { writeJson } from "../output.js";

interface DoctorCliOptions {
  fix?: boolean;
  docker?: boolean;
  postgres?: number;
}

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command("doctor")
    .description("check this machine's prerequisites (qemu, xfsprogs, FUSE, loop devices, PostgreSQL, privileges); --fix installs them")
    .option("--fix", "install missing Debian/Ubuntu packages with apt-get (as root; otherwise prints the command)")
    .option("--docker", "also check the Docker engine (for clone --runtime docker)")
    .option("--postgres <major>", "require this PostgreSQL major (default: any installed one)", positiveInteger("--postgres"))
    .addHelpText("after", examples("dbclone doctor", "sudo dbclone doctor --fix", "dbclone doctor --docker --postgres 15 --json"))
    .action(async (opts: DoctorCliOptions, cmd: Command) => {
      if (process.platform !== "linux") throw new UsageError("dbclone doctor checks Linux machines; on Windows see docs/windows.md");
      const { home, json } = ctx.globals(cmd);
      const features: DoctorFeature[] = ["clones", "postgres", ...(opts.docker ? (["docker"] as const) : [])];
      // The checks print as they run; with --json they go to stderr and stdout holds the report.
      const print = (line: string) => (json ? ctx.io.stderr : ctx.io.stdout).write(`${line}\n`);
      print(`Checking this machine for dbclone (${features.join(", ")}):`);
      const probe = machineProbe(ctx.io.env);
      const report = await runDoctor({ features, home, postgresMajor: opts.postgres, fix: opts.fix, reporter: ctx.reporter, print, probe });
      if (json) writeJson(ctx.io.stdout, report);
      else print(report.ok ? "Everything dbclone needs is here." : "Something dbclone needs is missing (see above).");
      if (!report.ok) ctx.exitCode = 1;
    });
}
