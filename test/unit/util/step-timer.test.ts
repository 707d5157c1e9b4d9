import { describe, expect, it } from "vitest";
import { StepTimer } from "../../../packages/core/src/util/step-timer.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("StepTimer: the clone path's per-step wall times (--debug)", () => {
  it("names each step with its own time, counts gaps between steps as other, and totals from the start", async () => {
    const t = new StepTimer(performance.now() - 50);
    t.mark("open");
    expect(
      await t.step("resolve", async () => {
        await sleep(20);
        return "value";
      }),
    ).toBe("value");
    await sleep(15);
    await t.step("mount", () => sleep(10));
    const s = t.summary();
    expect(s).toMatch(/^from \d+ ms: open (\d+) ms, resolve (\d+) ms, other (\d+) ms, mount (\d+) ms; total (\d+) ms$/);
    const [, start, open, resolve, other, mount, total] = /^from (\d+) ms: open (\d+) ms, resolve (\d+) ms, other (\d+) ms, mount (\d+) ms; total (\d+) ms$/
      .exec(s)!
      .map(Number);
    expect(open).toBeGreaterThanOrEqual(49);
    expect(resolve).toBeGreaterThanOrEqual(19);
    expect(other).toBeGreaterThanOrEqual(14);
    expect(mount).toBeGreaterThanOrEqual(9);
    expect(start).toBeGreaterThan(0);
    expect(Math.abs(total! - (open! + resolve! + other! + mount!))).toBeLessThanOrEqual(4);
  });

  it("passes a failing step's error through without recording the step", async () => {
    const t = new StepTimer();
    await expect(t.step("boom", () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(t.summary()).not.toContain("boom");
  });

  it("says from process start when it starts at 0 (the CLI's clone: node's own start-up counts)", () => {
    const t = new StepTimer(0);
    t.mark("open");
    expect(t.summary()).toMatch(/^from process start: open \d+ ms; total \d+ ms$/);
  });
});
