// The CLI's Reporter: messages to stderr (stdout is kept for results), debug only when asked,
// every registered secret redacted, progress as a bar on a terminal and a periodic line elsewhere.
import cliProgress from "cli-progress";
import { redact, type Progress, type Reporter } from "../../core/src/reporter.js";

export interface TextSink {
  write(text: string): unknown;
}

export interface TerminalReporterOptions {
  stderr: TextSink & { isTTY?: boolean };
  debug: boolean;
  /** How often a non-terminal progress line is printed (default 5 s). */
  progressIntervalMs?: number;
  now?: () => number;
}

export class TerminalReporter implements Reporter {
  readonly secrets = new Set<string>();
  private readonly stderr: TerminalReporterOptions["stderr"];
  private readonly now: () => number;

  constructor(private readonly opts: TerminalReporterOptions) {
    this.stderr = opts.stderr;
    this.now = opts.now ?? Date.now;
  }

  get debugEnabled(): boolean {
    return this.opts.debug;
  }

  debug(message: string): void {
    if (this.opts.debug) this.line(`debug: ${message}`);
  }
  info(message: string): void {
    this.line(message);
  }
  warn(message: string): void {
    this.line(`warning: ${message}`);
  }
  secret(value: string): void {
    if (value) this.secrets.add(value);
  }
  /** Text with every registered secret replaced by ***. */
  redact(text: string): string {
    return redact(text, this.secrets);
  }

  progress(label: string, total?: number): Progress {
    return this.stderr.isTTY ? this.barProgress(label, total) : this.lineProgress(label, total);
  }

  private line(text: string): void {
    this.stderr.write(this.redact(text) + "\n");
  }

  private barProgress(label: string, total = 0): Progress {
    const bar = new cliProgress.SingleBar(
      {
        stream: this.stderr as NodeJS.WritableStream,
        format: `${this.redact(label)} [{bar}] {percentage}% | {value}/{total}`,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return {
      update: (done, newTotal) => {
        if (newTotal !== undefined) bar.setTotal(newTotal);
        bar.update(done);
      },
      finish: (message) => {
        bar.stop();
        if (message) this.line(message);
      },
    };
  }

  // Logs in CI or a pipe: one line at the start, then at most one every interval, then the end.
  private lineProgress(label: string, total?: number): Progress {
    const interval = this.opts.progressIntervalMs ?? 5000;
    let last = this.now();
    let knownTotal = total;
    this.line(`${label}…`);
    return {
      update: (done, newTotal) => {
        if (newTotal !== undefined) knownTotal = newTotal;
        const t = this.now();
        if (t - last < interval) return;
        last = t;
        const pct = knownTotal ? ` ${Math.floor((done / knownTotal) * 100)}%` : "";
        this.line(`${label}:${pct} (${done}${knownTotal ? `/${knownTotal}` : ""})`);
      },
      finish: (message) => this.line(message ?? `${label}: done`),
    };
  }
}
