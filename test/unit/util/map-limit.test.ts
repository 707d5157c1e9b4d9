// The one bounded-concurrency helper (util/map-limit.ts) that masking, the scrub, the leak scan's
// spill and the catalog share: order, the bound, stop-on-failure, and a context per lane.
import { describe, expect, it } from "vitest";
import { mapLimit } from "../../../packages/core/src/util/map-limit.js";

const tick = () => new Promise((r) => setImmediate(r));

describe("mapLimit", () => {
  it("returns results in input order with at most `limit` running", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n, i) => {
      peak = Math.max(peak, ++running);
      for (let k = 0; k < n; k++) await tick();
      running--;
      return `${i}:${n}`;
    });
    expect(out).toEqual(["0:5", "1:1", "2:4", "3:2", "4:3"]);
    expect(peak).toBe(2);
  });

  it("starts nothing after the first failure, lets running items finish, then throws it", async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = mapLimit([0, 1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      if (n === 0) throw new Error("first");
      for (let k = 0; k < 3; k++) await tick();
      finished.push(n);
      return n;
    });
    await expect(run).rejects.toThrow("first");
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([1]);
  });

  it("opens one lane per concurrent worker and hands its value to every item of that lane", async () => {
    const opened: string[] = [];
    const seen = new Map<string, number[]>();
    let lanes = 0;
    await mapLimit(
      [1, 2, 3, 4, 5, 6],
      3,
      async (n, _i, lane: string) => {
        seen.set(lane, [...(seen.get(lane) ?? []), n]);
        await tick();
      },
      async (body) => {
        const name = `lane${lanes++}`;
        opened.push(name);
        await body(name);
      },
    );
    expect(opened).toEqual(["lane0", "lane1", "lane2"]);
    expect([...seen.values()].flat().sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("fails, and stops the other lanes, when a lane cannot open", async () => {
    const done: number[] = [];
    let lanes = 0;
    const run = mapLimit(
      [1, 2, 3, 4, 5, 6],
      2,
      async (n) => {
        await tick();
        done.push(n);
      },
      async (body) => {
        if (lanes++ === 1) throw new Error("no session");
        await body(undefined);
      },
    );
    await expect(run).rejects.toThrow("no session");
    expect(done).toEqual([1]); // the open lane finished the item it had started, then stopped
  });

  it("runs nothing on an empty list", async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
  });
});
