// Per-step wall times of one operation, for `--debug` ("clone steps from process start: open 271 ms, …"):
// the clone path's fixed costs, measured where they are spent, so a regression shows in one line.

export class StepTimer {
  private readonly steps: [string, number][] = [];
  private last: number;

  /** `start`: a performance.now() value; 0 is the process's own start (node's start-up counts too). */
  constructor(private readonly start: number = performance.now()) {
    this.last = start;
  }

  /** Ends the step running since the last mark, under `name`. */
  mark(name: string): void {
    const now = performance.now();
    this.steps.push([name, now - this.last]);
    this.last = now;
  }

  /** Times `fn` as the step `name` (anything since the last mark counts as `other` first). */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (performance.now() - this.last >= 1) this.mark("other");
    else this.last = performance.now();
    const value = await fn();
    this.mark(name);
    return value;
  }

  /** "from process start: open 271 ms, resolve 4 ms, …; total 812 ms" (or "from 71 ms: …" when started later). */
  summary(): string {
    const ms = (x: number) => `${Math.round(x)} ms`;
    const parts = this.steps.map(([name, t]) => `${name} ${ms(t)}`).join(", ");
    return `from ${this.start === 0 ? "process start" : ms(this.start)}: ${parts}; total ${ms(this.last - this.start)}`;
  }
}
