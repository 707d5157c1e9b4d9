// The files pg_waldump follows as the replay would: for each segment the newest timeline that has
// begun by it (the switch segment from the new timeline), the archive's copy before pg_wal's.
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { linkReplayView, timelineHistories } from "../../../packages/core/src/engine/postgres/wal-check.js";

const root = mkdtempSync(path.join(os.tmpdir(), "dbclone-walview-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SEG = 16 * 1024 * 1024;
function segment(dir: string, name: string): void {
  writeFileSync(path.join(dir, name), "");
  truncateSync(path.join(dir, name), SEG);
}

describe("the replay's view of a WAL directory", () => {
  it("takes each segment from the newest timeline begun by it, and the archive's copy first", async () => {
    const archive = path.join(root, "archive");
    const pgWal = path.join(root, "pg_wal");
    mkdirSync(archive);
    mkdirSync(pgWal);
    // Timeline 2 begins at 0/3800000, inside segment 3.
    writeFileSync(path.join(archive, "00000002.history"), "1\t0/3800000\tno recovery target specified\n");
    for (const s of ["000000010000000000000002", "000000010000000000000003", "000000020000000000000003", "000000020000000000000004"]) segment(archive, s);
    segment(pgWal, "000000010000000000000002"); // also in the archive: the archive's is read
    segment(pgWal, "000000020000000000000005"); // only in pg_wal
    segment(pgWal, "000000010000000000000004"); // timeline 1 past the switch: never read for target 2

    const histories = await timelineHistories([archive, pgWal]);
    expect(histories.get(2)).toEqual([
      { timeline: 1, lsn: "0/0" },
      { timeline: 2, lsn: "0/3800000" },
    ]);
    const view = path.join(root, "view");
    mkdirSync(view);
    await linkReplayView(view, [archive, pgWal], histories.get(2)!);
    const links = Object.fromEntries(readdirSync(view).map((n) => [n, readlinkSync(path.join(view, n))]));
    expect(links).toEqual({
      "000000010000000000000002": path.join(archive, "000000010000000000000002"),
      "000000010000000000000003": path.join(archive, "000000020000000000000003"),
      "000000010000000000000004": path.join(archive, "000000020000000000000004"),
      "000000010000000000000005": path.join(pgWal, "000000020000000000000005"),
    });
  });
});
