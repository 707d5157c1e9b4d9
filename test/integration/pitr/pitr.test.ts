// Refresh from backups: a base backup plus archived WAL, replayed to a target time or WAL location
// through the real build pipeline; clones show exactly the data as of the target.
import { existsSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../../packages/core/src/build/index.js";
import { createClone, teardownClones } from "../../../packages/core/src/clones/index.js";
import type { SourceSpec } from "../../../packages/core/src/engine/types.js";
import { SourceError } from "../../../packages/core/src/errors.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { makeWorld, psql, type World } from "../clones/fixture.js";
import { Tracker } from "../engine/fixtures.js";
import { startArchivingServer, type ArchivingServer } from "./fixture.js";

let world: World;
let tracker: Tracker;
let src: ArchivingServer;
let plainBackup: string;
let tarBackup: string;
/** Before the base backups were taken. */
let t0: string;
/** After 100 rows; after 250 rows (as a time and as a WAL location). 300 rows exist in the end. */
let t1: string;
let t2: string;
let lsn2: string;
const reporter = silentReporter;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const recDirs = () => new Set(readdirSync(os.tmpdir()).filter((n) => n.startsWith("dbclone-rec-")));
let recDirsBefore: Set<string>;
const NOW_UTC = `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

beforeAll(async () => {
  recDirsBefore = recDirs();
  world = await makeWorld("dbclone-pitr-");
  tracker = new Tracker();
  src = await startArchivingServer(tracker);
  await src.psql("shop", "INSERT INTO orders (id, note) SELECT g, 'before backup' FROM generate_series(1, 40) g");
  t0 = await src.psql("postgres", NOW_UTC);
  await sleep(1100); // backup times have whole seconds
  plainBackup = path.join(world.root, "backup-plain");
  tarBackup = path.join(world.root, "backup-tar");
  await src.baseBackup(plainBackup, "plain");
  await src.baseBackup(tarBackup, "tar");

  await src.psql("shop", "INSERT INTO orders (id, note) SELECT g, 'batch 1' FROM generate_series(41, 100) g");
  await sleep(50);
  t1 = await src.psql("postgres", NOW_UTC);
  await sleep(50);
  await src.psql("shop", "INSERT INTO orders (id, note) SELECT g, 'batch 2' FROM generate_series(101, 250) g");
  lsn2 = await src.psql("postgres", "SELECT pg_current_wal_lsn()");
  t2 = await src.psql("postgres", NOW_UTC);
  await sleep(50);
  // A later commit: a time target is known to be reached only by seeing a commit after it.
  await src.psql("shop", "INSERT INTO orders (id, note) SELECT g, 'batch 3' FROM generate_series(251, 300) g");
  await src.switchAndWaitArchived();
});

afterAll(async () => {
  await tracker?.cleanup();
  await world?.cleanup();
});

const build = (version: string, spec: Omit<Extract<SourceSpec, { kind: "basebackup" }>, "kind">) =>
  buildImage({
    repository: world.repository,
    name: "shop",
    version,
    sources: [{ kind: "basebackup", ...spec }],
    home: world.home,
    reporter,
    unmasked: { reason: "synthetic test data" },
  });

async function cloneQuery(version: string, sql: string): Promise<string> {
  const c = await createClone({ repository: world.repository, ref: `shop:${version}`, home: world.home, reporter });
  try {
    const url = new URL(c.credentials.connectionString);
    url.pathname = "/shop";
    return psql(url.toString(), sql);
  } finally {
    await teardownClones({ home: world.home, reporter, id: c.clone.id });
  }
}

async function expectNothingLeft(version: string): Promise<void> {
  expect((await world.repository.list("shop").catch(() => [])).map((i) => i.version)).not.toContain(version);
  const work = path.join(world.home, "work");
  expect(existsSync(work) ? readdirSync(work) : []).toEqual([]);
  expect(world.processes()).toEqual([]);
  expect([...recDirs()].filter((d) => !recDirsBefore.has(d))).toEqual([]);
  expect(await world.leftovers()).toEqual([]);
}

describe("build from a base backup and a WAL archive (point-in-time recovery)", () => {
  it("image A (plain backup, target time T1) holds exactly the rows as of T1", async () => {
    const { image } = await build("a", { path: plainBackup, walArchive: src.archiveDir, recoveryTargetTime: t1 });
    expect(await cloneQuery("a", "SELECT count(*) || ' ' || max(id) FROM orders")).toBe("100 100");

    const m = image.manifest;
    expect(m.source.kind).toBe("basebackup");
    const chain = m.source.backupChain as Record<string, unknown> & {
      archive: { firstSegmentUsed: string; segmentsRestored: number; lastSegmentUsed: string; archiveLastSegment: string };
    };
    expect(chain.format).toBe("plain");
    expect(chain.startLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(chain.stopLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(chain.startTimeline).toBe(1);
    expect(chain.recoveryTarget).toEqual({ kind: "time", value: t1, inclusive: true, action: "promote" });
    expect(chain.recoveryStopped).toMatch(/recovery stopping before commit/);
    expect(chain.lastReplayedLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(chain.timelineAfterPromotion).toBe(2);
    expect(chain.archive.firstSegmentUsed).toMatch(/^00000001[0-9A-F]{16}$/);
    expect(chain.archive.segmentsRestored).toBeGreaterThan(0);
    expect(chain.archive.lastSegmentUsed <= chain.archive.archiveLastSegment).toBe(true);
    await expectNothingLeft("none");
  });

  it("image B (tar backup, target WAL location at T2) holds exactly the rows as of T2", async () => {
    const { image } = await build("b", { path: tarBackup, walArchive: src.archiveDir, recoveryTargetLsn: lsn2 });
    expect(await cloneQuery("b", "SELECT count(*) || ' ' || max(id) FROM orders")).toBe("250 250");
    const chain = image.manifest.source.backupChain as Record<string, unknown>;
    expect(chain.format).toBe("tar");
    expect(chain.recoveryTarget).toMatchObject({ kind: "lsn", value: lsn2 });
    // The time target T2 gives the same data as the LSN target taken at T2.
    await build("b-time", { path: plainBackup, walArchive: src.archiveDir, recoveryTargetTime: t2 });
    expect(await cloneQuery("b-time", "SELECT count(*) FROM orders")).toBe("250");
  });

  it("without a target, replays the whole archive", async () => {
    await build("all", { path: plainBackup, walArchive: src.archiveDir });
    expect(await cloneQuery("all", "SELECT count(*) FROM orders")).toBe("300");
  });

  it("refuses a target before the backup's end: a clear error, nothing published, nothing left", async () => {
    const err = await build("early", { path: plainBackup, walArchive: src.archiveDir, recoveryTargetTime: t0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toMatch(/before the end of the base backup/);
    await expect(build("early-lsn", { path: tarBackup, walArchive: src.archiveDir, recoveryTargetLsn: "0/10" })).rejects.toThrow(
      /before the end of the base backup/,
    );
    await expectNothingLeft("early");
  });

  it("refuses a target past the archive's end: PostgreSQL's verdict, nothing published, nothing left", async () => {
    const later = new Date(Date.now() + 3600_000).toISOString();
    const err = await build("late", { path: plainBackup, walArchive: src.archiveDir, recoveryTargetTime: later }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toMatch(/past the end of the WAL archive.*last segment is 00000001/);
    await expect(build("late-lsn", { path: tarBackup, walArchive: src.archiveDir, recoveryTargetLsn: "FF/0" })).rejects.toThrow(
      /past the end of the WAL archive.*ending at WAL location/,
    );
    await expectNothingLeft("late");
  });

  it("keeps an unpromoted recovery state between builds and continues it with newer WAL", async () => {
    const state = path.join(world.root, "recovery-state");
    const first = await build("kept-1", { path: plainBackup, walArchive: src.archiveDir, recoveryTargetTime: t1, keepRecoveryState: state });
    expect((first.image.manifest.source.backupChain as Record<string, unknown>).keptRecoveryState).toMatchObject({ reused: false });
    expect(await cloneQuery("kept-1", "SELECT count(*) FROM orders")).toBe("100");

    const second = await build("kept-2", { path: plainBackup, walArchive: src.archiveDir, recoveryTargetTime: t2, keepRecoveryState: state });
    expect((second.image.manifest.source.backupChain as Record<string, unknown>).keptRecoveryState).toMatchObject({ reused: true });
    expect(await cloneQuery("kept-2", "SELECT count(*) FROM orders")).toBe("250");

    await expect(build("kept-back", { path: plainBackup, walArchive: src.archiveDir, recoveryTargetTime: t1, keepRecoveryState: state })).rejects.toThrow(
      /replay cannot go back/,
    );
    await expectNothingLeft("kept-back");
  });
});
