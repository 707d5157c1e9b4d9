// File work on the image disk during a build. After sp_detach_db, SQL Server resets the files'
// permissions to the detaching principal and the service account ("Securing Data and Log Files"),
// and FILESTREAM containers belong to the service: a plain copy (fs.cp) gets EPERM. robocopy /B
// copies with backup semantics (SeBackupPrivilege, held by an elevated Administrator) and /COPY:DAT
// leaves the ACLs behind, so the copies inherit the fresh disk's folder permissions.
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { CommandError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import { run } from "../../runtime/exec.js";

export interface FileOps {
  /** Create a folder and its parents (RESTORE … MOVE creates none). */
  makeDir(dir: string): Promise<void>;
  /** Copy a whole folder tree with backup semantics. */
  copyTree(from: string, to: string, opts?: { excludeFiles?: string[] }): Promise<void>;
  /** Move one file (with backup semantics) to `to`, renaming it on the way. */
  moveFile(from: string, to: string): Promise<void>;
  writeText(file: string, text: string): Promise<void>;
}

const QUIET = ["/R:1", "/W:1", "/NP", "/NFL", "/NDL", "/NJH", "/NJS"];

/** The whole tree, data and timestamps only, no junctions followed. */
export const robocopyTreeArgs = (from: string, to: string, excludeFiles: string[] = []): string[] => [
  from,
  to,
  "/E",
  "/B",
  "/COPY:DAT",
  "/DCOPY:DAT",
  "/XJ",
  ...(excludeFiles.length ? ["/XF", ...excludeFiles] : []),
  ...QUIET,
];

/** One file into another folder (robocopy keeps the name; the rename follows). */
export const robocopyMoveArgs = (from: string, toDir: string): string[] => [
  path.win32.dirname(from),
  toDir,
  path.win32.basename(from),
  "/B",
  "/MOV",
  "/COPY:DAT",
  ...QUIET,
];

/** robocopy's exit code is a bit mask: 0-7 mean copied / nothing to copy / extras; 8 and up is a failure. */
export const robocopySucceeded = (code: number | null): boolean => code !== null && code >= 0 && code < 8;

async function robocopy(args: string[], reporter?: Reporter): Promise<void> {
  const r = await run("robocopy", args, { allowFailure: true, reporter, timeoutMs: 6 * 60 * 60_000 });
  if (!robocopySucceeded(r.code)) {
    throw new CommandError(
      `robocopy ${args.slice(0, 2).join(" -> ")} failed with exit ${r.code}; is the process elevated (backup privilege)?`,
      "robocopy",
      r.code,
      r.stdout + r.stderr,
    );
  }
}

export function windowsFileOps(reporter?: Reporter): FileOps {
  return {
    makeDir: async (dir) => void (await mkdir(dir, { recursive: true })),
    copyTree: (from, to, opts) => robocopy(robocopyTreeArgs(from, to, opts?.excludeFiles), reporter),
    moveFile: async (from, to) => {
      const dir = path.win32.dirname(to);
      await robocopy(robocopyMoveArgs(from, dir), reporter);
      const moved = path.win32.join(dir, path.win32.basename(from));
      if (moved.toLowerCase() !== to.toLowerCase()) await rename(moved, to);
    },
    writeText: (file, text) => writeFile(file, text, "utf8"),
  };
}
