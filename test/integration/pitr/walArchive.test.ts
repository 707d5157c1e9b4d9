// restore_command / archive_command quoting proven through a real /bin/sh, LSN arithmetic, targets
// and the CLI's source options.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI_SOURCE_NAMES, sourceInputsOf, type BuildOptions } from "../../../packages/cli/src/commands/build.js";
import { sourcesFromInputs } from "../../../packages/core/src/build/index.js";

const sourcesFrom = (opts: BuildOptions) => sourcesFromInputs(sourceInputsOf(opts), CLI_SOURCE_NAMES);
import { recoveryTargetOf, toServerTime } from "../../../packages/core/src/engine/postgres/recoveryTarget.js";
import { backupTime } from "../../../packages/core/src/engine/postgres/pitr.js";
import { archiveCommand, lsnToBigInt, restoreCommand, segmentEndLsn } from "../../../packages/core/src/engine/postgres/walArchive.js";
import { UsageError } from "../../../packages/core/src/errors.js";

const root = mkdtempSync(path.join(os.tmpdir(), "dbclone-walq-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What PostgreSQL does with %f, %p and %% before handing the command to the shell. */
const expand = (cmd: string, f: string, p: string): string => cmd.replace(/%([fp%])/g, (_, c: string) => (c === "f" ? f : c === "p" ? p : "%"));

describe("archive and restore commands", () => {
  const weird = path.join(root, `wal 'archive' 100% $HOME \`touch pwned\` "x"`);
  mkdirSync(weird);

  it("archive_command copies into a directory whose name has quotes, spaces, $, backticks and %", () => {
    const cwd = path.join(root, "src");
    mkdirSync(path.join(cwd, "pg_wal"), { recursive: true });
    writeFileSync(path.join(cwd, "pg_wal", "000000010000000000000003"), "segment 3");
    execFileSync("/bin/sh", ["-c", expand(archiveCommand(weird), "000000010000000000000003", "pg_wal/000000010000000000000003")], { cwd });
    expect(readFileSync(path.join(weird, "000000010000000000000003"), "utf8")).toBe("segment 3");
    // Never overwrites an archived segment.
    expect(() =>
      execFileSync("/bin/sh", ["-c", expand(archiveCommand(weird), "000000010000000000000003", "pg_wal/000000010000000000000003")], { cwd, stdio: "ignore" }),
    ).toThrow();
  });

  it("restore_command copies back from it, fails for a missing file, and runs nothing injected", () => {
    const cwd = path.join(root, "dst");
    mkdirSync(path.join(cwd, "pg_wal"), { recursive: true });
    execFileSync("/bin/sh", ["-c", expand(restoreCommand(weird), "000000010000000000000003", "pg_wal/RECOVERYXLOG")], { cwd });
    expect(readFileSync(path.join(cwd, "pg_wal", "RECOVERYXLOG"), "utf8")).toBe("segment 3");
    expect(() =>
      execFileSync("/bin/sh", ["-c", expand(restoreCommand(weird), "00000002.history", "pg_wal/RECOVERYHISTORY")], { cwd, stdio: "ignore" }),
    ).toThrow();
    expect(() => readFileSync(path.join(cwd, "pwned"))).toThrow();
  });
});

describe("WAL locations and recovery targets", () => {
  it("computes where a segment ends for any segment size", () => {
    expect(segmentEndLsn("000000010000000000000002", 16 * 1024 * 1024)).toBe("0/3000000");
    expect(segmentEndLsn("00000001000000000000000D", 1024 * 1024)).toBe("0/E00000");
    expect(segmentEndLsn("0000000100000001000000FF", 16 * 1024 * 1024)).toBe("2/0");
    expect(lsnToBigInt("1/0") > lsnToBigInt("0/FFFFFFFF")).toBe(true);
  });

  it("takes a time with a zone and writes it the way recovery_target_time accepts", () => {
    expect(toServerTime("2026-03-01T04:00:00.123456Z")).toBe("2026-03-01 04:00:00.123456+00");
    expect(toServerTime("2026-03-01 05:00:00+01:00")).toBe("2026-03-01 05:00:00+01:00");
    const t = recoveryTargetOf({ recoveryTargetTime: "2026-03-01 05:00:00+01" });
    expect(t.kind === "time" && t.at.toISOString()).toBe("2026-03-01T04:00:00.000Z");
    expect(() => recoveryTargetOf({ recoveryTargetTime: "2026-03-01 05:00:00" })).toThrow(/time zone/);
    expect(() => recoveryTargetOf({ recoveryTargetTime: "yesterday" })).toThrow(UsageError);
    expect(() => recoveryTargetOf({ recoveryTargetLsn: "0/XYZ" })).toThrow(/WAL location/);
    expect(() => recoveryTargetOf({ recoveryTargetLsn: "0/1", recoveryTargetTime: "2026-03-01T04:00:00Z" })).toThrow(/not both/);
    expect(recoveryTargetOf({})).toEqual({ kind: "end" });
  });

  it("reads backup times PostgreSQL printed in UTC or with a numeric offset, not ambiguous abbreviations", () => {
    expect(backupTime("2026-03-01 04:00:00 UTC")?.toISOString()).toBe("2026-03-01T04:00:00.000Z");
    expect(backupTime("2026-03-01 07:00:00 +03")?.toISOString()).toBe("2026-03-01T04:00:00.000Z");
    expect(backupTime("2026-03-01 04:00:00 CET")).toBeUndefined();
  });
});

describe("dbclone build --from-basebackup", () => {
  it("turns the options into one basebackup source", () => {
    expect(sourcesFrom({ fromBasebackup: "/b", walArchive: "/w", recoveryTargetLsn: "0/3000148" })).toEqual([
      { kind: "basebackup", path: "/b", walArchive: "/w", recoveryTargetLsn: "0/3000148" },
    ]);
  });

  it("refuses recovery options without a base backup, two targets, or two kinds of source", () => {
    expect(() => sourcesFrom({ fromDatadir: "/d", walArchive: "/w" })).toThrow(/go with --from-basebackup/);
    expect(() => sourcesFrom({ fromBasebackup: "/b", recoveryTargetLsn: "0/1", recoveryTargetTime: "2026-03-01T04:00:00Z" })).toThrow(/one recovery target/);
    expect(() => sourcesFrom({ fromBasebackup: "/b", fromServer: "postgresql://x" })).toThrow(/one kind of source/);
  });
});
