// One source grammar for the CLI's --from-* flags and the build-image action's from-* inputs
// (core build/source-inputs.ts): the same inputs pass and fail on both sides, each error in the
// caller's own names, and no check depends on which side asks.
import { afterEach, describe, expect, it, vi } from "vitest";
import { readSources } from "../../../actions/build-image/src/sources.js";
import { CLI_SOURCE_NAMES, sourceInputsOf, type BuildOptions } from "../../../packages/cli/src/commands/build.js";
import { sourcesFromInputs } from "../../../packages/core/src/build/index.js";
import { UsageError } from "../../../packages/core/src/errors.js";

afterEach(() => vi.unstubAllEnvs());
const cli = (opts: BuildOptions) => () => sourcesFromInputs(sourceInputsOf(opts), CLI_SOURCE_NAMES);
const action = (inputs: Record<string, string>) => () => {
  for (const [name, value] of Object.entries(inputs)) vi.stubEnv(`INPUT_${name.toUpperCase()}`, value);
  return readSources();
};

describe("sourcesFromInputs", () => {
  it("reads the same sources on both sides: dumps repeat, one datadir, one server, one backup chain", () => {
    expect(cli({ fromDump: ["/a.dump", "/b.dump"] })()).toEqual([
      { kind: "dump", path: "/a.dump" },
      { kind: "dump", path: "/b.dump" },
    ]);
    expect(action({ "from-dump": "/a.dump\n/b.dump" })()).toEqual([
      { kind: "dump", path: "/a.dump" },
      { kind: "dump", path: "/b.dump" },
    ]);
    expect(cli({ fromDatadir: "/d" })()).toEqual([{ kind: "datadir", path: "/d" }]);
    vi.unstubAllEnvs();
    expect(action({ "from-datadir": "/d" })()).toEqual([{ kind: "datadir", path: "/d" }]);
    vi.unstubAllEnvs();
    expect(cli({ fromBackup: "f.bak", differential: "d.bak", log: ["1.trn"] })()).toEqual([
      { kind: "backup-chain", full: "f.bak", differential: "d.bak", logs: ["1.trn"] },
    ]);
    expect(action({ "from-backup": "f.bak", "differential-backup": "d.bak", "log-backups": "1.trn" })()).toEqual([
      { kind: "backup-chain", full: "f.bak", differential: "d.bak", logs: ["1.trn"] },
    ]);
  });

  it("refuses two kinds of source, naming the CLI's flags or the action's inputs", () => {
    expect(cli({ fromDump: ["/a"], fromDatadir: "/d" })).toThrow(
      /set only one of --from-dump, --from-datadir, --from-server, --from-basebackup or --from-backup: .*got --from-dump and --from-datadir/,
    );
    expect(action({ "from-dump": "/a", "from-datadir": "/d" })).toThrow(
      /set only one of 'from-dump', 'from-datadir', 'from-server' or 'from-backup': .*got 'from-dump' and 'from-datadir'/,
    );
  });

  it("refuses no source at all, listing only the fields the caller has", () => {
    expect(cli({})).toThrow("build needs a source: set one of --from-dump, --from-datadir, --from-server, --from-basebackup or --from-backup");
    expect(action({})).toThrow("build needs a source: set one of 'from-dump', 'from-datadir', 'from-server' or 'from-backup'");
  });

  it("refuses backup-chain fields without a full backup on both sides", () => {
    expect(cli({ fromDump: ["/a"], differential: "d.bak" })).toThrow("--differential go with --from-backup");
    expect(action({ "from-dump": "/a", "differential-backup": "d.bak" })).toThrow("'differential-backup' go with 'from-backup'");
  });

  it("refuses a second data directory, server or backup at input time on both sides (only dumps repeat)", () => {
    expect(action({ "from-datadir": "/d1\n/d2" })).toThrow(/'from-datadir': one per image/);
    vi.unstubAllEnvs();
    expect(action({ "from-backup": "a.bak\nb.bak" })).toThrow(/'from-backup': one per image/);
    expect(() => sourcesFromInputs({ fromServer: ["postgresql://a", "postgresql://b"] }, CLI_SOURCE_NAMES)).toThrow(/--from-server: one per image/);
  });

  it("keeps the CLI-only rules: engine choice, PITR flags with a base backup, one recovery target", () => {
    expect(cli({ engine: "mysql", fromDump: ["/a"] })).toThrow("--engine must be postgres or sqlserver, got 'mysql'");
    expect(cli({ engine: "postgres", fromBackup: "f.bak" })).toThrow("--engine postgres does not fit these sources: they make a sqlserver image");
    expect(cli({ engine: "sqlserver", fromDump: ["/a"] })).toThrow("--engine sqlserver does not fit these sources: they make a postgres image");
    expect(cli({ fromDatadir: "/d", walArchive: "/w" })).toThrow("--wal-archive go with --from-basebackup");
    expect(cli({ fromBasebackup: "/b", recoveryTargetLsn: "0/1", recoveryTargetTime: "2026-03-01T04:00:00Z" })).toThrow(/one recovery target/);
    expect(cli({ fromBasebackup: "/b", walArchive: "/w", recoveryTargetLsn: "0/1" })()).toEqual([
      { kind: "basebackup", path: "/b", walArchive: "/w", recoveryTargetLsn: "0/1" },
    ]);
  });

  it("fails with a UsageError that carries no source value", () => {
    const secret = "postgresql://u:s3cret@db/x";
    let error: unknown;
    try {
      sourcesFromInputs({ fromServer: [secret], fromDump: ["/a"] }, CLI_SOURCE_NAMES);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).not.toContain("s3cret");
  });
});
