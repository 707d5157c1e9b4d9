// Core's Reporter over @actions/core: the one place the actions turn core's messages into
// workflow log lines, masks and progress.
import * as core from "@actions/core";
import type { Progress, Reporter } from "../../packages/core/src/reporter.js";

/** Progress lines at most this often, so a long copy does not flood the log. */
const PROGRESS_INTERVAL_MS = 10_000;

export interface ActionsReporterOptions {
  /** Clock for the progress throttle (tests pass a fake). */
  now?: () => number;
  intervalMs?: number;
}

export function actionsReporter(opts: ActionsReporterOptions = {}): Reporter {
  const now = opts.now ?? Date.now;
  const intervalMs = opts.intervalMs ?? PROGRESS_INTERVAL_MS;
  return {
    debug: (message) => core.debug(message),
    info: (message) => core.info(message),
    warn: (message) => core.warning(message),
    secret: (value) => {
      if (value.length > 0) core.setSecret(value);
    },
    progress: (label, total) => periodicProgress(label, total, now, intervalMs),
  };
}

/** Logs don't redraw, so progress is a line now and then plus one at the end. */
function periodicProgress(label: string, total: number | undefined, now: () => number, intervalMs: number): Progress {
  const started = now();
  let lastLine = started;
  core.info(`${label}…`);
  return {
    update(done, newTotal) {
      if (newTotal !== undefined) total = newTotal;
      const t = now();
      if (t - lastLine < intervalMs) return;
      lastLine = t;
      core.info(`${label}: ${describeAmount(done, total)} (${Math.round((t - started) / 1000)} s)`);
    },
    finish(message) {
      const seconds = ((now() - started) / 1000).toFixed(1);
      core.info(`${label}: ${message ?? "done"} in ${seconds} s`);
    },
  };
}

function describeAmount(done: number, total: number | undefined): string {
  if (total === undefined || total <= 0) return `${done}`;
  return `${done} of ${total} (${Math.floor((done / total) * 100)}%)`;
}
