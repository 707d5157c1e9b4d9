// A clone's server must start with nothing to replay: crash recovery acts on the file system (a
// tablespace-create record makes a pg_tblspc link to any path) before any check of ours sees it.
// pg_control and the checkpoint record it names are read as PostgreSQL reads them; every way a
// crafted image could still make it recover is refused, naming what was found, never a value.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { uncleanShutdown } from "../../../packages/core/src/engine/postgres/clean-shutdown.js";
import { segmentName, WAL_BLOCK, WAL_SEGMENT, writeControl } from "./pg-control-fixture.js";

let data: string;
beforeEach(() => {
  data = mkdtempSync(path.join(os.tmpdir(), "dbclone-clean-shutdown-"));
});
afterEach(() => rmSync(data, { recursive: true, force: true }));

describe("uncleanShutdown", () => {
  it("a clean shutdown passes, also with its record split by a page header and with pg_wal a link", async () => {
    writeControl(data);
    expect(await uncleanShutdown(data)).toBeUndefined();
    rmSync(path.join(data, "pg_wal"), { recursive: true });
    const split = BigInt(WAL_SEGMENT * 3 + WAL_BLOCK * 5 - 24); // 24 bytes before a page end: the redo is past it
    writeControl(data, { checkPoint: split, walDir: path.join(data, "wal-real") });
    symlinkSync(path.join(data, "wal-real"), path.join(data, "pg_wal"));
    expect(await uncleanShutdown(data)).toBeUndefined();
    // A page whose header says long is skipped as long, as PostgreSQL reads it.
    writeControl(data, { checkPoint: split, walDir: path.join(data, "wal-real"), longPages: [WAL_BLOCK * 5] });
    expect(await uncleanShutdown(data)).toBeUndefined();
  });

  it("a state other than shut down (a crash, a copy of a running server) is refused", async () => {
    for (const state of [0, 2, 3, 4, 5, 6]) {
      writeControl(data, { state });
      expect(await uncleanShutdown(data)).toBe("was not shut down cleanly (pg_control), so it would start with crash recovery");
    }
  });

  it("a checkpoint whose redo lies before it, in pg_control or in the record itself, is refused", async () => {
    writeControl(data, { controlRedo: 0x100000n });
    expect(await uncleanShutdown(data)).toContain("whose redo is not itself");
    writeControl(data, { recordRedo: 0x100000n });
    expect(await uncleanShutdown(data)).toContain("that is not a clean shutdown's");
  });

  it("a record that is an online checkpoint or of another resource manager is refused", async () => {
    writeControl(data, { info: 0x10 });
    expect(await uncleanShutdown(data)).toContain("that is not a clean shutdown's");
    writeControl(data, { rmid: 10 });
    expect(await uncleanShutdown(data)).toContain("that is not a clean shutdown's");
  });

  it("a second copy of the segment on an older timeline must be clean too (PostgreSQL may read either)", async () => {
    writeControl(data, { timeline: 2 });
    expect(await uncleanShutdown(data)).toBeUndefined();
    writeControl(data, { timeline: 2, segmentTimeline: 1, info: 0x10 }); // timeline 2's copy stays clean
    expect(await uncleanShutdown(data)).toContain(`in ${segmentName(1, 0x100028n)} that is not a clean shutdown's`);
  });

  it("no segment, an unknown layout, a record starting in a page header or crossing into the next segment is refused", async () => {
    writeControl(data);
    unlinkSync(path.join(data, "pg_wal", segmentName(1, 0x100028n)));
    expect(await uncleanShutdown(data)).toContain("has no WAL segment holding its last checkpoint (0/100028)");
    writeControl(data, { version: 1700 });
    expect(await uncleanShutdown(data)).toBe("has a pg_control of a layout dbclone does not read (PostgreSQL 13–16 only)");
    writeControl(data, { checkPoint: BigInt(WAL_SEGMENT + WAL_BLOCK + 8) });
    expect(await uncleanShutdown(data)).toContain("that is not a clean shutdown's");
    writeControl(data, { checkPoint: BigInt(2 * WAL_SEGMENT - 16) });
    expect(await uncleanShutdown(data)).toContain("that is not a clean shutdown's");
  });

  // A FIFO in pg_control's place (no blocking open): test/integration/engine/clean-shutdown.test.ts.
  it("pg_control that is a link or missing, or global/ a link, is refused without following", async () => {
    writeControl(data);
    const control = path.join(data, "global", "pg_control");
    const real = path.join(data, "real-control");
    renameSync(control, real);
    symlinkSync(real, control);
    expect(await uncleanShutdown(data)).toBe("has no readable global/pg_control");
    unlinkSync(control);
    expect(await uncleanShutdown(data)).toBe("has no readable global/pg_control");
    rmSync(path.join(data, "global"), { recursive: true });
    mkdirSync(path.join(data, "elsewhere"));
    symlinkSync(path.join(data, "elsewhere"), path.join(data, "global"));
    writeFileSync(path.join(data, "elsewhere", "pg_control"), Buffer.alloc(512));
    expect(await uncleanShutdown(data)).toBe("has no global directory (or a link in its place)");
  });
});
