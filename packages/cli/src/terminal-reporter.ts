// The CLI's Reporter: messages to stderr (stdout is kept for results), debug only when asked,
// every registered secret redacted, progress as a bar on a terminal and a periodic line elsewhere.
import cliProgress from "cli-progress";
import prettyBytes from "pretty-bytes";
import { redact, type Progress, type ProgressOptions, type Reporter } from "../../core/src/reporter.js";

/** Spinner frames for a progress whose total is unknown. */
const SPINNER = ["|", "/", "-", "\\"];

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

  progress(label: string, total?: number, opts: ProgressOptions = {}): Progress {
    const amount = opts.unit === "bytes" ? (n: number) => prettyBytes(n) : (n: number) => String(n);
    return this.stderr.isTTY ? this.barProgress(label, total, amount) : this.lineProgress(label, total, amount);
  }

  private line(text: string): void {
    this.stderr.write(`${this.redact(text)}\n`);
  }

  // A bar while the total is known; a spinner and the amount so far while it is not ("587 MB").
  private barProgress(label: string, total: number | undefined, amount: (n: number) => string): Progress {
    const shown = this.redact(label);
    let knownTotal = total && total > 0 ? total : undefined;
    let frame = 0;
    const bar = new cliProgress.SingleBar(
      {
        stream: this.stderr as NodeJS.WritableStream,
        format: (options, params, payload: { amount: string }) =>
          knownTotal
            ? `${shown} [${cliProgress.Format.BarFormat(params.progress, options)}] ${Math.floor(params.progress * 100)}% | ${payload.amount}`
            : `${shown} ${SPINNER[frame++ % SPINNER.length]} ${payload.amount}`,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    const payload = (done: number) => ({ amount: knownTotal ? `${amount(done)} of ${amount(knownTotal)}` : `${amount(done)} so far` });
    bar.start(knownTotal ?? 1, 0, payload(0));
    return {
      update: (done, newTotal) => {
        if (newTotal !== undefined && newTotal > 0 && newTotal !== knownTotal) {
          knownTotal = newTotal;
          bar.setTotal(newTotal);
        }
        bar.update(knownTotal ? done : 0, payload(done));
      },
      finish: (message) => {
        bar.stop();
        if (message) this.line(message);
      },
    };
  }

  // Logs in CI or a pipe: one line at the start, then at most one every interval, then the end.
  private lineProgress(label: string, total: number | undefined, amount: (n: number) => string): Progress {
    const interval = this.opts.progressIntervalMs ?? 5000;
    let last = this.now();
    let knownTotal = total && total > 0 ? total : undefined;
    this.line(`${label}…`);
    return {
      update: (done, newTotal) => {
        if (newTotal !== undefined && newTotal > 0) knownTotal = newTotal;
        const t = this.now();
        if (t - last < interval) return;
        last = t;
        this.line(
          knownTotal ? `${label}: ${Math.floor((done / knownTotal) * 100)}% (${amount(done)} of ${amount(knownTotal)})` : `${label}: ${amount(done)} so far`,
        );
      },
      finish: (message) => this.line(message ?? `${label}: done`),
    };
  }
}
