// Every external command goes through here: arguments as an array (never a shell string),
// stderr captured for the error, a timeout, debug logging with secrets redacted, and
// privileged steps run through `sudo -n` when we are not root.
import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { readFileSync } from "node:fs";
import { CommandError, MissingToolError, PrivilegeError, TimeoutError } from "../errors.js";
import { redact, silentReporter, type Reporter } from "../reporter.js";
import { childEnv } from "./childEnv.js";
import { withoutDataLines } from "./errorText.js";

export interface ExecOptions {
  /** Kill the command after this many milliseconds (default 10 minutes). */
  timeoutMs?: number;
  /** The child's whole environment; default: the allow-list of childEnv.ts, never the runner's. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the command's stdin. */
  input?: string | Buffer;
  /**
   * The command's stdin: a file descriptor we opened (a less privileged child reads a file it
   * could not open itself) or a stream piped in.
   */
  stdin?: number | Readable;
  /** Needs root (mount, losetup, FUSE): prefixed with `sudo -n` when not root. */
  privileged?: boolean;
  /** Run as this OS user (root only; via runuser). */
  asUser?: string;
  /** Values to redact from logs and error messages. */
  secrets?: string[];
  reporter?: Reporter;
  /** Do not throw on a non-zero exit; the caller inspects `code`. */
  allowFailure?: boolean;
  /** Debian/Ubuntu package that provides the program, named in the error when it is missing. */
  packageHint?: string;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

/** The argv actually run: adds `sudo -n` for privileged steps and `runuser` for asUser. */
export function commandLine(program: string, args: readonly string[], opts: ExecOptions = {}): string[] {
  let argv = [program, ...args];
  if (opts.asUser && isRoot()) argv = ["runuser", "-u", opts.asUser, "--", ...argv];
  if (opts.privileged && !isRoot()) argv = ["sudo", "-n", "--", ...argv];
  return argv;
}

/** What `sudo -n` prints when it will not run a command without a password. */
export const SUDO_REFUSED = /password is required|not allowed|may not run/i;

/** The last lines of a tool's stderr, without the lines that may echo data values: for an error message. */
export const stderrTail = (stderr: string): string => withoutDataLines(stderr.trim()).split("\n").slice(-5).join("\n");

const quoteForLog = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

export async function run(program: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const argv = commandLine(program, args, opts);
  const reporter = opts.reporter ?? silentReporter;
  const secrets = opts.secrets ?? [];
  const shown = redact(argv.map(quoteForLog).join(" "), secrets);
  reporter.debug(`$ ${shown}`);
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;

  return new Promise<ExecResult>((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: opts.env ?? childEnv(),
      cwd: opts.cwd,
      stdio: [typeof opts.stdin === "number" ? opts.stdin : opts.input === undefined && !opts.stdin ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (opts.stdin && typeof opts.stdin !== "number") {
      opts.stdin.on("error", (e) => {
        child.kill("SIGKILL");
        reject(e);
      });
      child.stdin!.on("error", () => {}); // the child may exit before reading everything
      opts.stdin.pipe(child.stdin!);
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === "ENOENT") {
        const hint = opts.packageHint ? ` Install it: apt-get install ${opts.packageHint}` : "";
        reject(new MissingToolError(`${argv[0]} was not found on PATH.${hint}`));
      } else reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = redact(Buffer.concat(err).toString("utf8"), secrets);
      if (timedOut) {
        reject(new TimeoutError(`${shown} did not finish within ${Math.round(timeoutMs / 1000)} s.`));
        return;
      }
      if (code !== 0 && !opts.allowFailure) {
        if (argv[0] === "sudo" && SUDO_REFUSED.test(stderr)) {
          reject(
            new PrivilegeError(`${program} needs root and sudo -n was refused (${stderr.trim()}). Run as root or allow passwordless sudo for ${program}.`),
          );
          return;
        }
        // The message may reach a log, a job summary or the audit chain: no echoed data values.
        reject(new CommandError(`${shown} failed with exit ${code}: ${stderrTail(stderr)}`, shown, code, stderr));
        return;
      }
      resolve({ code, stdout, stderr });
    });
  });
}

/** Resolve when `pid` has exited, or false after timeoutMs. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return !isAlive(pid);
}

/**
 * True while `pid` runs. A finished process that nobody has reaped yet (a zombie: daemons
 * re-parented to a slow init stay so for seconds) counts as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state letter follows the command name, which is in parentheses and may hold spaces.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return process.platform !== "linux";
  }
}
