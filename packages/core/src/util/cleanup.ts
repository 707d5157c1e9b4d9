// Structured cleanup: each step that acquires something pushes its release; on failure the
// stack unwinds in reverse order, and every release runs even when an earlier one fails.
import type { Reporter } from "../reporter.js";

export class CleanupStack {
  private readonly steps: { label: string; release: () => Promise<void> }[] = [];

  constructor(private readonly reporter: Reporter) {}

  push(label: string, release: () => Promise<void>): void {
    this.steps.push({ label, release });
  }

  /** Forget everything pushed so far: the work succeeded and now owns its resources. */
  dismiss(): void {
    this.steps.length = 0;
  }

  /** Release everything in reverse order; returns the failures (already reported as warnings). */
  async unwind(): Promise<Error[]> {
    const failures: Error[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.release();
      } catch (e) {
        const err = e as Error;
        failures.push(err);
        this.reporter.warn(`cleanup: ${step.label} failed: ${err.message}`);
      }
    }
    return failures;
  }
}
