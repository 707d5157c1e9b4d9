// The only way core talks to a person. Actions pass an adapter over @actions/core,
// the CLI one that writes to the terminal; core never imports either.

export interface Progress {
  /** Advance to `done` of `total` (bytes or steps). */
  update(done: number, total?: number): void;
  finish(message?: string): void;
}

export interface Reporter {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  /** Register a value that must never be printed (passwords, connection strings). */
  secret(value: string): void;
  /**
   * Start a progress display for a long operation. `total` may be unknown (undefined or 0); with
   * unit "bytes" a display shows human sizes (1.2 GB), otherwise counts of steps.
   */
  progress(label: string, total?: number, opts?: ProgressOptions): Progress;
}

export interface ProgressOptions {
  unit?: "bytes" | "steps";
}

const noProgress: Progress = { update() {}, finish() {} };

/** A reporter that prints nothing: the default for library callers and tests. */
export const silentReporter: Reporter = {
  debug() {},
  info() {},
  warn() {},
  secret() {},
  progress() {
    return noProgress;
  },
};

/**
 * A progress display that appears only once there is progress to show: a cached, already
 * verified blob reports none, and then nothing is printed at all.
 */
export function progressOnDemand(reporter: Reporter, label: string, total?: number, opts?: ProgressOptions) {
  let progress: Progress | undefined;
  return {
    onProgress: (done: number, newTotal?: number) => {
      progress ??= reporter.progress(label, newTotal ?? total, opts);
      progress.update(done, newTotal);
    },
    finish: (message?: string) => progress?.finish(message),
  };
}

/** Replace every registered secret in `text` with ***. */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join("***");
  return out;
}
