// Shared pieces of the hostile-input tests: victim files outside dbclone's directories (which
// only root could write, so a write through a link would be root's), and a quick server check.
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { stopPostgres } from "../../packages/core/src/engine/postgres/launch.js";
import type { RunningServer } from "../../packages/core/src/engine/types.js";
import { run } from "../../packages/core/src/runtime/exec.js";
import { launchTestServer, type Tracker } from "../integration/engine/fixtures.js";

export interface Victims {
  dir: string;
  /** Exists, root-owned, mode 0644: a write through a link would change it. */
  existing: string;
  /** Does not exist: a write through a dangling link would create it. */
  absent: string;
  /** A file `touch`ed by any command a hostile input manages to run. */
  marker: string;
  /** Nothing here changed: the same names, the existing file untouched, no marker. */
  untouched(): boolean;
}

export const ORIGINAL = "ORIGINAL CONTENT\n";

export function makeVictims(t: Tracker): Victims {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-victim-"));
  chmodSync(dir, 0o755);
  t.dirs.push(dir);
  const existing = path.join(dir, "existing.conf");
  writeFileSync(existing, ORIGINAL, { mode: 0o644 });
  const absent = path.join(dir, "created-through-a-link");
  const marker = path.join(dir, "command-ran");
  return {
    dir,
    existing,
    absent,
    marker,
    untouched: () =>
      readFileSync(existing, "utf8") === ORIGINAL && readdirSync(dir).join(",") === "existing.conf" && !existsSync(absent) && !existsSync(marker),
  };
}

/** A directory anyone (the postgres OS user too) may write: where a hostile command would leave traces. */
export function sharedDir(t: Tracker): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-shared-"));
  chmodSync(dir, 0o1777);
  t.dirs.push(dir);
  return dir;
}

export async function adminQuery<T extends pg.QueryResultRow>(
  s: Pick<RunningServer, "socketDir" | "port" | "adminUser">,
  db: string,
  sql: string,
): Promise<T[]> {
  const c = new pg.Client({ host: s.socketDir, port: s.port, user: s.adminUser, database: db });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

/** A stopped cluster (superuser srcadmin) that ran `sql` first, as a "production" data directory. */
export async function sourceDataDir(t: Tracker, sql: string): Promise<string> {
  const { bins, dataDir, socketDir, port, pid } = await launchTestServer(t, {
    prefix: "dbclone-sec-src-",
    hba: "local all all trust\n",
    settings: () => ({ listen_addresses: "" }),
  });
  try {
    await run(bins.bin("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socketDir, "-p", String(port), "-U", "srcadmin", "-d", "postgres", "-c", sql]);
  } finally {
    await stopPostgres(pid);
    t.pids.delete(pid);
  }
  return dataDir;
}
