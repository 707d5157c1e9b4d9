// The CLI's progress on a terminal and in a log: a total learnt late replaces the spinner with a
// bar, a zero total never shows as 0/0, the cursor comes back and the bar is cleared at the end,
// and a finish message goes through the same redaction as every other line.
import { describe, expect, it, vi } from "vitest";
import { TerminalReporter } from "../../../packages/cli/src/terminal-reporter.js";

function capture(isTTY: boolean) {
  let text = "";
  let clock = 0;
  const reporter = new TerminalReporter({ stderr: { write: (s: string) => (text += s), isTTY }, debug: false, progressIntervalMs: 1000, now: () => clock });
  return { reporter, text: () => text, advance: (ms: number) => (clock += ms) };
}

describe("TerminalReporter progress", () => {
  it("in a log, a total learnt later gives percentages; a zero total does not", () => {
    const c = capture(false);
    const p = c.reporter.progress("Copying");
    c.advance(1000);
    p.update(5, 0);
    c.advance(1000);
    p.update(25, 100);
    c.advance(1000);
    p.update(30);
    p.finish("copied");
    expect(c.text()).toBe("Copying…\nCopying: 5 so far\nCopying: 25% (25 of 100)\nCopying: 30% (30 of 100)\ncopied\n");
    const z = capture(false);
    const q = z.reporter.progress("Scanning", 0);
    z.advance(1000);
    q.update(4);
    expect(z.text()).toBe("Scanning…\nScanning: 4 so far\n");
  });

  it("on a terminal, a spinner turns into a bar once the total is known, the cursor is restored and the bar cleared", () => {
    const c = capture(true);
    const p = c.reporter.progress("Pulling", undefined);
    p.update(10);
    p.update(20, 0);
    p.update(50, 200);
    p.finish();
    const out = c.text();
    expect(out).toMatch(/Pulling [|/\\-] 0 so far/);
    expect(out).toMatch(/Pulling \[.*\] 25% \| 50 of 200/);
    expect(out).not.toMatch(/undefined|NaN/);
    expect(out).toContain("\u001b[?25l");
    expect(out).toContain("\u001b[?25h");
    expect(out.endsWith("\u001b[2K")).toBe(true);
    expect(out).toContain("\u001b[?25h");
    expect(out.endsWith("\u001b[2K")).toBe(true);
  });

  it("on a terminal, a zero total is a spinner, frames turn, and a finish message is printed redacted", () => {
    const c = capture(true);
    c.reporter.secret("hunter2");
    const p = c.reporter.progress("Verifying", 0);
    for (let i = 0; i < 6; i++) p.update(i);
    p.finish("verified with hunter2");
    const out = c.text();
    expect(out).not.toMatch(/undefined|%/);
    const frames = new Set([...out.matchAll(/Verifying ([|/\\-]) /g)].map((m) => m[1]));
    expect(frames.size).toBeGreaterThan(1);
    expect(out.endsWith("verified with ***\n")).toBe(true);
  });

  // A frame emptied or dropped would leave the spinner standing still on that turn (or printing
  // "Verifying  3 so far" with a hole); every render must show the next of the four frames.
  it("on a terminal, the spinner shows all four frames in turn, never a blank one", () => {
    let text = "";
    vi.useFakeTimers(); // the bar redraws on its own timer (10 a second)
    try {
      const c = capture(true);
      const p = c.reporter.progress("Verifying");
      for (let i = 0; i < 12; i++) {
        p.update(i);
        vi.advanceTimersByTime(150);
      }
      p.finish();
      text = c.text();
    } finally {
      vi.useRealTimers();
    }
    const shown = [...text.matchAll(/Verifying (.*?) ?\d+ so far/g)].map((m) => m[1]);
    expect(shown.length).toBeGreaterThanOrEqual(8);
    const frames = ["|", "/", "-", "\\"];
    const first = frames.indexOf(shown[0] ?? "");
    expect(shown).toEqual(shown.map((_, i) => frames[(first + i) % frames.length]));
  });

  it("a negative total (a size the source got wrong) is treated as unknown, in a log and on a terminal", () => {
    const log = capture(false);
    const p = log.reporter.progress("Copying", -5);
    log.advance(1000);
    p.update(3);
    log.advance(1000);
    p.update(4, -1);
    expect(log.text()).toBe("Copying…\nCopying: 3 so far\nCopying: 4 so far\n");
    const tty = capture(true);
    const q = tty.reporter.progress("Pulling", -5);
    q.update(3);
    q.update(4, -2);
    q.finish();
    expect(tty.text()).toMatch(/Pulling [|/\\-] 4 so far/);
    expect(tty.text()).not.toMatch(/%|of -/);
  });

  it("an empty secret registers nothing (it would otherwise match everywhere), and debugEnabled says whether debug lines print", () => {
    const c = capture(false);
    c.reporter.secret("");
    c.reporter.info("plain text");
    expect(c.text()).toBe("plain text\n");
    expect(c.reporter.debugEnabled).toBe(false);
    expect(new TerminalReporter({ stderr: { write: () => true, isTTY: false }, debug: true }).debugEnabled).toBe(true);
  });
});
