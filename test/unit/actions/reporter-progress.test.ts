// The actions' reporter writes the workflow log: progress must neither flood it (the default
// interval) nor lie in it (a total that arrives later, a zero total, the elapsed time).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { actionsReporter } from "../../../actions/shared/reporter.js";

let lines: string[];
beforeEach(() => {
  lines = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split(/\r?\n/).filter(Boolean));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

describe("actionsReporter progress", () => {
  it("without an interval, writes a progress line at most every 10 s (and exactly at 10 s)", () => {
    let t = 50_000;
    const p = actionsReporter({ now: () => t }).progress("copying", 100);
    t = 59_999;
    p.update(10);
    t = 60_000;
    p.update(20);
    expect(lines).toEqual(["copying…", "copying: 20 of 100 (20%) (10 s)"]);
  });

  it("a total learnt during the copy is used from then on; none, or zero, shows the count alone", () => {
    let t = 1_000_000;
    const r = actionsReporter({ now: () => t, intervalMs: 1000 });
    const p = r.progress("reading");
    t += 1000;
    p.update(7);
    t += 1000;
    p.update(50, 200);
    const z = r.progress("scanning", 0);
    t += 1000;
    z.update(3);
    t += 500;
    z.finish();
    expect(lines).toEqual(["reading…", "reading: 7 (1 s)", "reading: 50 of 200 (25%) (2 s)", "scanning…", "scanning: 3 (1 s)", "scanning: done in 1.5 s"]);
  });
});
