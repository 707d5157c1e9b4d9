// A data directory's WAL is replayed by single-user mode before the build reads the cluster, as the
// database's OS user. A Tablespace record in it would chmod a directory of that user's to 0700 and
// put relation files there (another cluster's tablespace, say). Such a source is refused before
// any replay, and the directory stays as it was; a crashed source without tablespaces still passes.
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PostgresEngine } from "../../packages/core/src/engine/postgres/index.js";
import { findBinaries } from "../../packages/core/src/engine/postgres/binaries.js";
import { giveToServerUser } from "../../packages/core/src/engine/postgres/osUser.js";
import { refuseReplayOutside } from "../../packages/core/src/engine/postgres/wal-check.js";
import { SourceError } from "../../packages/core/src/errors.js";
import { silentReporter } from "../../packages/core/src/reporter.js";
import { waitForExit } from "../../packages/core/src/runtime/exec.js";
import { Tracker, launchTestServer } from "../integration/engine/fixtures.js";

const engine = new PostgresEngine();
const t = new Tracker();
afterAll(() => t.cleanup(), 60_000);

/** A directory of the database's OS user, 0755: what a Tablespace redo would chmod and fill. */
function victimDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-ts-victim-"));
  t.dirs.push(dir);
  return dir;
}

/** A source data directory left by a crash (immediate shutdown) after `statements`: its WAL must be replayed. */
async function crashedSource(...statements: string[]): Promise<string> {
  const s = await launchTestServer(t, { prefix: "dbclone-walsrc-", hba: "local all all trust\n", settings: () => ({ listen_addresses: "" }) });
  for (const sql of statements) await s.psql("postgres", sql);
  process.kill(s.pid, "SIGQUIT"); // immediate shutdown: no checkpoint, the WAL since the last one is replayed at start
  expect(await waitForExit(s.pid, 30_000)).toBe(true);
  t.pids.delete(s.pid);
  return s.dataDir;
}

describe("WAL replayed from a source", { timeout: 180_000 }, () => {
  it("a crashed data directory whose WAL creates a tablespace is refused before any replay, leaving the directory it names alone", async () => {
    const victim = victimDir();
    await giveToServerUser(victim);
    chmodSync(victim, 0o755);
    const src = await crashedSource(
      `CREATE TABLESPACE elsewhere LOCATION '${victim}'`,
      "CREATE TABLE far (x int) TABLESPACE elsewhere; INSERT INTO far SELECT generate_series(1, 100)",
    );
    // Shipped as an attacker would: no pg_tblspc link (a source with one is refused at probe) and an empty victim.
    for (const link of readdirSync(path.join(src, "pg_tblspc"))) rmSync(path.join(src, "pg_tblspc", link));
    for (const entry of readdirSync(victim)) rmSync(path.join(victim, entry), { recursive: true });
    chmodSync(victim, 0o755); // the source's own CREATE TABLESPACE made it 0700

    const mount = t.mount();
    const restore = engine.restore([{ kind: "datadir", path: src }], mount, silentReporter);
    await expect(restore).rejects.toThrow(SourceError);
    await expect(restore).rejects.toThrow(/tablespace record at [0-9A-F]+\/[0-9A-F]+.*nothing was replayed/);
    expect(statSync(victim).mode & 0o777).toBe(0o755);
    expect(readdirSync(victim)).toEqual([]);
  });

  it("a crashed data directory without tablespaces passes the check and builds", async () => {
    const src = await crashedSource("CREATE TABLE near (x int); INSERT INTO near SELECT generate_series(1, 100)");
    await refuseReplayOutside(await findBinaries(15), src, "test source");
    const mount = t.mount();
    await engine.restore([{ kind: "datadir", path: src }], mount, silentReporter);
    expect(existsSync(path.join(mount, "pgdata", "PG_VERSION"))).toBe(true);
  });

  it("a tablespace_map is refused, naming it", async () => {
    const src = await crashedSource("SELECT 1");
    writeFileSync(path.join(src, "tablespace_map"), "16400 /var/lib/postgresql/elsewhere\n");
    await expect(refuseReplayOutside(await findBinaries(15), src, "test source")).rejects.toThrow(/tablespace_map listing 1 tablespace/);
  });
});
