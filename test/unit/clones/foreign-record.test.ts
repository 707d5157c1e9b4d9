// Teardown and gc stop, unmount and delete what a clone record names. A record edited by hand or
// damaged (a directory elsewhere, a mount point or qcow2 export file outside the clone's own
// directory, an id that is a path) must not steer them there: teardown refuses it and touches
// nothing; gc warns and goes on with the other clones.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clonePaths, foreignPathsOf } from "../../../packages/core/src/clones/clone-paths.js";
import { collectGarbage } from "../../../packages/core/src/clones/gc.js";
import { ForeignRecordError, teardownClones } from "../../../packages/core/src/clones/teardown.js";
import type { CloneRecord } from "../../../packages/core/src/clones/types.js";
import { silentReporter, type Reporter } from "../../../packages/core/src/reporter.js";

const ID = "c-abcdefghij";
let dir: string;
let home: string;
let victim: string;

const record = (over: Partial<CloneRecord> = {}): CloneRecord => ({
  id: ID,
  state: "ready",
  image: { name: "shop", version: "1", manifestDigest: `sha256:${"a".repeat(64)}`, diskDigest: `sha256:${"b".repeat(64)}` },
  engine: "postgres",
  ...clonePaths(home, over.id ?? ID, "qcow2"),
  disk: "qcow2",
  host: "127.0.0.1",
  port: 54321,
  runtime: "host",
  password: "not-a-real-one",
  databases: ["shop"],
  createdAt: "2024-01-01T00:00:00.000Z",
  expiresAt: "2024-01-02T00:00:00.000Z",
  labels: {},
  repository: path.join(dir, "no-repo"),
  ...over,
});

async function register(...records: CloneRecord[]): Promise<void> {
  await mkdir(path.join(home, "clones"), { recursive: true, mode: 0o700 });
  await writeFile(path.join(home, "clones", "registry.json"), JSON.stringify({ version: 1, clones: records }), { mode: 0o600 });
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dbclone-foreign-record-"));
  home = path.join(dir, "home");
  victim = path.join(dir, "victim");
  await mkdir(victim);
  await writeFile(path.join(victim, "keep.txt"), "not dbclone's");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("foreignPathsOf", () => {
  it("accepts the paths dbclone gives a clone, however the home is spelled", () => {
    expect(foreignPathsOf(record(), home)).toEqual([]);
    expect(foreignPathsOf(record(), `${home}/`)).toEqual([]);
    const attachment = {
      driver: "qcow2",
      file: record().childFile,
      mountPath: record().mountPath,
      handles: { exportFile: `${record().childFile}.export.raw`, pidFile: `${record().childFile}.qsd.pid`, daemonPid: 1 },
    };
    expect(foreignPathsOf(record({ attachment }), home)).toEqual([]);
  });

  it("names each field that points elsewhere", () => {
    expect(foreignPathsOf(record({ dir: victim }), home)).toEqual(["dir"]);
    expect(foreignPathsOf(record({ childFile: path.join(victim, "child.qcow2"), mountPath: "/" }), home)).toEqual(["childFile", "mountPath"]);
    expect(foreignPathsOf(record({ dir: `${home}/clones/${ID}/../../..` }), home)).toEqual(["dir"]);
    expect(foreignPathsOf(record({ id: "../../victim" } as Partial<CloneRecord>), home)).toEqual(["id"]);
    const attachment = {
      driver: "qcow2",
      file: record().childFile,
      mountPath: victim,
      handles: { exportFile: path.join(victim, "x.raw"), pidFile: "/etc/passwd" },
    };
    expect(foreignPathsOf(record({ attachment }), home)).toEqual(["attachment.mountPath", "attachment.handles.exportFile", "attachment.handles.pidFile"]);
    expect(foreignPathsOf(record({ attachment: { ...attachment, mountPath: record().mountPath, handles: {}, file: "/dev/sda" } }), home)).toEqual([
      "attachment.file",
    ]);
  });
});

describe("teardown and gc of a record that names files elsewhere", () => {
  it("teardown refuses it, naming the fields, and removes nothing", async () => {
    await register(record({ dir: victim }));
    const error = await teardownClones({ home, id: ID, reporter: silentReporter }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ForeignRecordError);
    expect((error as Error).message).toMatch(new RegExp(`^clone ${ID}'s record names files outside .*\\(dir\\): dbclone did not write it`));
    expect(existsSync(path.join(victim, "keep.txt"))).toBe(true);
  });

  it("gc warns and skips it, and still collects the other expired clone", async () => {
    const other = "c-klmnopqrst";
    await register(record({ dir: victim }), record({ id: other }));
    await mkdir(path.join(home, "clones", other, "mnt"), { recursive: true });
    const warnings: string[] = [];
    const reporter: Reporter = { ...silentReporter, warn: (m: string) => void warnings.push(m) };
    const result = await collectGarbage({ home, reporter, now: new Date("2025-01-01T00:00:00Z") });
    expect(existsSync(path.join(victim, "keep.txt"))).toBe(true);
    expect(warnings).toContainEqual(expect.stringMatching(new RegExp(`^gc: skipping clone ${ID}: clone ${ID}'s record names files outside`)));
    expect(result.expired).toEqual([other]);
    expect(existsSync(path.join(home, "clones", other))).toBe(false);
  });
});
