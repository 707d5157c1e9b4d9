// Checks a source before anything is created, and describes it without secrets.
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { CommandError, NotSupportedError, SourceError } from "../../errors.js";
import { isAlive, run } from "../../runtime/exec.js";
import type { SourceSpec } from "../types.js";
import { findBinaries, majorOf } from "./binaries.js";
import { detectDumpKind, parseTocHeader, type DumpKind } from "./dumpFile.js";
import { checkDumpScript } from "./dumpScript.js";
import { probeBaseBackup } from "./pitr.js";
import { redactUrl } from "./url.js";

export interface ProbeResult {
  description: string;
  version?: string;
}

/** `pg_restore -l` of an archive dump: proves our pg_restore can read it. */
export async function readToc(file: string): Promise<{ database?: string; version?: string }> {
  const bins = await findBinaries();
  try {
    const { stdout } = await run(bins.bin("pg_restore"), ["-l", file]);
    return parseTocHeader(stdout);
  } catch (e) {
    if (e instanceof CommandError) {
      throw new SourceError(
        `${file} cannot be read by ${bins.bin("pg_restore")} (PostgreSQL ${bins.major}): ${e.stderr.trim()}. ` +
          `A dump made by a newer pg_dump needs newer client binaries (apt-get install postgresql-client-<major>, or set PG_BIN).`,
      );
    }
    throw e;
  }
}

export async function probeDump(file: string): Promise<ProbeResult & { kind: DumpKind }> {
  const kind = await detectDumpKind(file);
  if (kind === "custom" || kind === "directory" || kind === "tar") {
    const toc = await readToc(file);
    const db = toc.database ? `, database ${toc.database}` : "";
    return { kind, description: `${kind} pg_dump archive ${path.basename(file)}${db}`, version: toc.version };
  }
  await checkDumpScript(file); // refused before the build creates anything
  return { kind, description: `${kind === "dumpall" ? "pg_dumpall script" : "plain SQL dump"} ${path.basename(file)}` };
}

export async function probeDataDir(dir: string): Promise<ProbeResult & { major: number }> {
  const pgVersion = path.join(dir, "PG_VERSION");
  if (!existsSync(pgVersion) || !existsSync(path.join(dir, "global", "pg_control"))) {
    throw new SourceError(`${dir} is not a PostgreSQL data directory (expected PG_VERSION and global/pg_control in it).`);
  }
  const version = (await readFile(pgVersion, "utf8")).trim();
  const major = majorOf(version);
  if (!Number.isFinite(major)) throw new SourceError(`${pgVersion} holds "${version}", which is not a PostgreSQL version.`);
  const pidFile = path.join(dir, "postmaster.pid");
  if (existsSync(pidFile)) {
    const pid = Number.parseInt((await readFile(pidFile, "utf8")).split("\n")[0] ?? "", 10);
    if (pid > 0 && isAlive(pid)) {
      throw new SourceError(
        `${dir} is in use by a running PostgreSQL (pid ${pid}). Stop it first (pg_ctl stop -D ${dir} -m fast) or use the live server as a source instead.`,
      );
    }
  }
  const tablespaces = existsSync(path.join(dir, "pg_tblspc")) ? await readdir(path.join(dir, "pg_tblspc")) : [];
  if (tablespaces.length > 0) {
    throw new NotSupportedError(
      `${dir} uses tablespaces outside the data directory (${tablespaces.join(", ")}); dbclone images hold a single data directory. Use a dump instead.`,
    );
  }
  await findBinaries(major); // a clear error naming postgresql-<major> when missing
  return { description: `PostgreSQL ${major} data directory ${path.basename(path.resolve(dir))}`, version, major };
}

export async function probeServer(url: string): Promise<ProbeResult & { major: number }> {
  const shown = redactUrl(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000 });
  let version: string;
  let canReplicate: boolean;
  try {
    await client.connect();
    version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    const r = await client.query<{ ok: boolean }>("SELECT rolreplication OR rolsuper AS ok FROM pg_roles WHERE rolname = current_user");
    canReplicate = r.rows[0]?.ok === true;
  } catch (e) {
    throw new SourceError(`Could not connect to ${shown}: ${(e as Error).message}. Check host, port, user and password.`);
  } finally {
    await client.end().catch(() => {});
  }
  if (!canReplicate) {
    throw new SourceError(
      `The user of ${shown} may not take a base backup: grant it REPLICATION (ALTER ROLE … REPLICATION) and allow it in pg_hba.conf for "replication".`,
    );
  }
  const clean = /^(\d+(?:\.\d+)?)/.exec(version)?.[1] ?? version;
  const major = majorOf(clean);
  await findBinaries(major);
  return { description: `PostgreSQL ${clean} server ${shown}`, version: clean, major };
}

export async function probeSource(source: SourceSpec): Promise<ProbeResult> {
  switch (source.kind) {
    case "dump": {
      const { description, version } = await probeDump(source.path);
      return { description, version };
    }
    case "datadir": {
      const { description, version } = await probeDataDir(source.path);
      return { description, version };
    }
    case "server": {
      const { description, version } = await probeServer(source.url);
      return { description, version };
    }
    case "basebackup": {
      const { description, version } = await probeBaseBackup(source);
      return { description, version };
    }
    case "backup-chain":
      throw new NotSupportedError(
        "A backup chain (.bak + differential + logs) is a SQL Server source; for PostgreSQL use a dump, a data directory, a server URL or a base backup with a WAL archive.",
      );
  }
}
