// Loads one dump into the build server: pg_restore for archives, psql for SQL scripts.
import { randomBytes } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import type pg from "pg";
import { CommandError, SourceError } from "../../errors.js";
import { run } from "../../runtime/exec.js";
import type { PgBinaries } from "./binaries.js";
import type { BuildServer } from "./buildServer.js";
import { withAdmin } from "./client.js";
import { databaseNameFromFile, detectDumpKind } from "./dumpFile.js";
import { checkDumpScript, isCopyEnd, readScriptLines } from "./dumpScript.js";
import { withoutDataLines } from "../../runtime/errorText.js";
import { serverUser } from "./osUser.js";
import { readToc } from "./probe.js";
import { quoteIdent } from "./sql.js";

const DAY_MS = 24 * 3600_000;

const connArgs = (s: BuildServer, db: string): string[] => ["-h", s.socketDir, "-p", String(s.port), "-U", s.adminUser, "-d", db];

/**
 * The database a dump restores into: made fresh, or — for a database the staging server already has
 * (its own `postgres`, or an empty one of a physical base) — taken over while it holds nothing.
 * Two sources may never fill one database: `filled` holds what earlier sources of this build filled.
 */
async function prepareDatabase(s: BuildServer, name: string, file: string, filled: Set<string>): Promise<void> {
  if (filled.has(name)) {
    throw new SourceError(`${file} would restore into database "${name}", which another source already filled. Give the sources distinct database names.`);
  }
  const found = await withAdmin(
    s,
    "template1",
    async (c) => (await c.query<{ datistemplate: boolean }>("SELECT datistemplate FROM pg_database WHERE datname = $1", [name])).rows[0],
  );
  if (found?.datistemplate) {
    // An image carries user databases only: restored into a template, the data would silently vanish.
    throw new SourceError(
      `${file} would restore into the template database "${name}", which an image does not carry. Dump the data from a database with another name.`,
    );
  }
  if (!found) {
    await withAdmin(s, "template1", (c) => c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0 ENCODING 'UTF8'`));
  } else if (!(await isEmptyDatabase(s, name))) {
    throw new SourceError(
      `${file} would restore into database "${name}", which the base source already holds with objects of its own. Give this source another database name.`,
    );
  }
  filled.add(name);
}

/** No tables, views, sequences, functions or schemas of anyone's making (initdb's `postgres` database is empty). */
async function isEmptyDatabase(s: BuildServer, name: string): Promise<boolean> {
  return withAdmin(s, name, async (c) => {
    const r = await c.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%')
            + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
            + (SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg\\_%') AS n`,
    );
    return Number(r.rows[0]!.n) === 0;
  });
}

/** Roles a plain dump names in OWNER TO / GRANT … TO, so its ALTER … OWNER lines succeed. */
export async function rolesNamedInScript(file: string): Promise<Set<string>> {
  const roles = new Set<string>();
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
  const pattern = /^(?:ALTER .+ OWNER TO|GRANT .+ TO) (.+);$/;
  for await (const line of lines) {
    const m = pattern.exec(line);
    if (!m) continue;
    for (const part of m[1]!.replace(/ WITH GRANT OPTION$/, "").split(/,\s*/)) {
      const quoted = /^"((?:[^"]|"")+)"$/.exec(part);
      const name = quoted ? quoted[1]!.replace(/""/g, '"') : /^[a-z_][a-z0-9_$]*$/.test(part) ? part : undefined;
      if (name && name !== "PUBLIC" && name !== "public") roles.add(name);
    }
  }
  return roles;
}

/** Create missing roles as NOLOGIN placeholders (formatted by the server: %I, no concatenation). */
async function ensureRoles(c: pg.Client, roles: Iterable<string>): Promise<void> {
  for (const role of roles) {
    const exists = await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
    if (exists.rowCount) continue;
    const stmt = await c.query<{ sql: string }>("SELECT format('CREATE ROLE %I NOLOGIN', $1::text) AS sql", [role]);
    await c.query(stmt.rows[0]!.sql);
  }
}

/**
 * Run a restore tool as the server's OS user with the allow-listed environment. We open the dump
 * (it may sit where only root can read) and hand the child the descriptor as its stdin; the
 * tool's error output loses the lines that echo data values before it becomes an error message.
 */
async function runRestoreTool(file: string, program: string, args: string[], what: string, stdin?: Readable): Promise<void> {
  const fh = stdin ? undefined : await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    await run(program, args, { asUser: serverUser().asUser, cwd: "/", stdin: stdin ?? fh!.fd, timeoutMs: DAY_MS });
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
    throw new SourceError(`Restoring ${what} ${file} failed: ${withoutDataLines(e.stderr.trim()).split("\n").slice(-8).join("\n")}`);
  } finally {
    await fh?.close();
  }
}

/** The script's lines for psql, without those `drop` names outside COPY data. */
async function* scriptLines(file: string, drop: (line: string) => boolean): AsyncGenerator<Buffer> {
  let inCopy = false;
  for await (const line of readScriptLines(file)) {
    if (!inCopy && drop(line)) continue;
    if (!inCopy && /^COPY .* FROM stdin;$/.test(line)) inCopy = true;
    else if (inCopy && isCopyEnd(line)) inCopy = false;
    yield Buffer.from(`${line}\n`, "latin1");
  }
}

/** Restore one dump; returns the database names it filled. */
export async function restoreDump(
  bins: PgBinaries,
  s: BuildServer,
  source: { path: string; database?: string },
  filled: Set<string> = new Set(),
): Promise<string[]> {
  const kind = await detectDumpKind(source.path);
  if (kind === "dumpall") {
    const dbs = [...(await restoreDumpall(bins, s, source.path))];
    for (const db of dbs) filled.add(db);
    return dbs;
  }

  if (kind === "plain") {
    const facts = await checkDumpScript(source.path); // before anything is created
    const db = source.database ?? databaseNameFromFile(source.path);
    await prepareDatabase(s, db, source.path, filled);
    await withAdmin(s, db, async (c) => ensureRoles(c, await rolesNamedInScript(source.path)));
    // psql's own restricted mode is the second wall: no backslash command runs even if the check
    // above missed one. The dump's own \\restrict lines go (its key is the dump author's, so they
    // guard nothing); a script that switches database cannot run restricted and keeps the check only.
    const key = randomBytes(16).toString("hex");
    const wall = facts.connects ? [] : ["-c", `\\restrict ${key}`];
    const lines = facts.connects ? undefined : Readable.from(scriptLines(source.path, (l) => /^\\(?:un)?restrict [A-Za-z0-9]+$/.test(l)));
    await runRestoreTool(source.path, bins.bin("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", ...connArgs(s, db), ...wall, "-f", "-"], "the SQL dump", lines);
    return [db];
  }

  const db = source.database ?? (await readToc(source.path)).database ?? databaseNameFromFile(source.path);
  await prepareDatabase(s, db, source.path, filled);
  // Owners and grants of production roles mean nothing in an image; the clone login gets its own.
  const args = [...connArgs(s, db), "--no-owner", "--no-privileges", "--exit-on-error"];
  if (kind === "directory") {
    // A directory cannot travel as stdin: pg_restore (which runs no commands of its own) reads
    // it as root, still with the allow-listed environment, when the server user cannot.
    const readable = (await run("test", ["-r", path.join(source.path, "toc.dat")], { asUser: serverUser().asUser, cwd: "/", allowFailure: true })).code === 0;
    try {
      await run(bins.bin("pg_restore"), [...args, "-j", "2", source.path], { asUser: readable ? serverUser().asUser : undefined, cwd: "/", timeoutMs: DAY_MS });
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      throw new SourceError(`Restoring the archive ${source.path} failed: ${withoutDataLines(e.stderr.trim()).split("\n").slice(-8).join("\n")}`);
    }
    return [db];
  }
  // Custom and tar archives arrive on stdin (a seekable descriptor, so no parallel restore).
  await runRestoreTool(source.path, bins.bin("pg_restore"), args, "the archive");
  return [db];
}

/**
 * pg_dumpall output creates its own roles and databases. ON_ERROR_STOP as for any script: a
 * failed COPY must stop psql before it reads that COPY's data lines as commands. The one statement
 * that fails by design — creating our admin, when the source was a dbclone cluster — is left out.
 */
async function restoreDumpall(bins: PgBinaries, s: BuildServer, file: string): Promise<Set<string>> {
  await checkDumpScript(file);
  const before = new Set(
    await withAdmin(s, "postgres", async (c) => (await c.query<{ datname: string }>("SELECT datname FROM pg_database")).rows.map((r) => r.datname)),
  );
  const ownAdmin = new Set([`CREATE ROLE ${s.adminUser};`, `CREATE ROLE ${quoteIdent(s.adminUser)};`]);
  const lines = Readable.from(scriptLines(file, (l) => ownAdmin.has(l)));
  await runRestoreTool(file, bins.bin("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", ...connArgs(s, "postgres"), "-f", "-"], "the pg_dumpall script", lines);
  const after = await withAdmin(s, "postgres", async (c) =>
    (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE NOT datistemplate")).rows.map((r) => r.datname),
  );
  return new Set(after.filter((d) => !before.has(d) || d === "postgres"));
}
