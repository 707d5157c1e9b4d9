// The fake SQL Server's handling of the catalog-driven batches: principals, scrub, masking, logins.
// Each documented effect is applied to the database's state; a statement the real server refuses is
// refused (REBUILD of a memory-optimized table: Msg 10794); anything unknown is an error, so a new
// statement cannot slip through untested.
import type { Row, SqlValue } from "../../../packages/core/src/engine/sqlserver/executor.js";
import { bracketed, nLiterals, sqlError, type FakeDb, type TableState } from "./fake-sqlserver-state.js";
import type { FakeSqlServer } from "./fake-sqlserver.js";

/** The database a batch works in: its first USE, else the session's. */
function currentDb(server: FakeSqlServer, sql: string): FakeDb | undefined {
  const use = /^USE (\[(?:[^\]]|\]\])*\]);/.exec(sql);
  const name = use ? bracketed(use[1]!)[0]! : server.sessionDb;
  return server.db(name);
}

function trackUse(server: FakeSqlServer, sql: string): void {
  const uses = [...sql.matchAll(/^USE (\[(?:[^\]]|\]\])*\]);/gm)];
  if (uses.length) server.sessionDb = bracketed(uses.at(-1)![1]!)[0]!;
}

function table(db: FakeDb, schema: string, name: string): TableState | undefined {
  return db.tables.find((t) => t.schema === schema && t.name === name);
}

/** [db].[schema].[table] after a keyword. */
function threePart(sql: string, after: RegExp): { db: string; schema: string; name: string } | undefined {
  const m = new RegExp(after.source + String.raw`((?:\[(?:[^\]]|\]\])*\]\.){2}\[(?:[^\]]|\]\])*\])`).exec(sql);
  if (!m) return undefined;
  const [db, schema, name] = bracketed(m[1]!);
  return { db: db!, schema: schema!, name: name! };
}

/** OBJECT_ID(N'[schema].[table]') in the batch. */
function objectRef(sql: string): { schema: string; name: string } {
  const [schema, name] = bracketed(nLiterals(/OBJECT_ID\((N'(?:[^']|'')*')\)/.exec(sql)![1]!)[0]!);
  return { schema: schema!, name: name! };
}

const SCRUB_CLEARS: [RegExp, string][] = [
  [/QUERY_STORE CLEAR/, "query store"],
  [/DISABLE CHANGE_TRACKING[\s\S]*CHANGE_TRACKING = OFF/, "change tracking"],
  [/sp_cdc_disable_db/, "cdc"],
  [/ALTER FULLTEXT CATALOG[\s\S]*REBUILD/, "full-text"],
  [/sp_persistent_version_cleanup/, "adr version store"],
];

function scrub(db: FakeDb, sql: string): Row[][] | undefined {
  let known = false;
  for (const [re, residue] of SCRUB_CLEARS) {
    if (!re.test(sql)) continue;
    db.residue.delete(residue);
    known = true;
  }
  if (/N' REBUILD;'/.test(sql) && /ALTER INDEX ALL|ALTER TABLE/.test(sql)) {
    const mo = db.tables.find((t) => t.memoryOptimized);
    // Each generated list of REBUILDs must leave memory-optimized tables out on its own.
    const generators = sql.split("SELECT @sql += ").filter((g) => /N' REBUILD;'/.test(g));
    if (mo && generators.some((g) => !/is_memory_optimized = 0/.test(g))) {
      throw sqlError(10794, `The operation 'ALTER TABLE REBUILD' is not supported with memory optimized tables (${mo.schema}.${mo.name}).`);
    }
    known = true;
  }
  if (/sp_filestream_force_garbage_collection/.test(sql)) {
    // Garbage collection removes replaced blobs only after a checkpoint has run.
    if (db.checkpointed) db.residue.delete("filestream garbage");
    known = true;
  }
  if (/^USE .*;\nCHECKPOINT;$/.test(sql)) {
    db.checkpointed = true;
    known = true;
  }
  if (/DROP STATISTICS|UPDATE STATISTICS|SET RECOVERY SIMPLE|sp_clean_db_free_space|^USE (\[(?:[^\]]|\]\])*\]);$/.test(sql)) known = true;
  return known ? [] : undefined;
}

function stripPrincipals(db: FakeDb, sql: string): Row[][] {
  const types = /p\.type IN \(([^)]*)\)/
    .exec(sql)![1]!
    .match(/'(\w)'/g)!
    .map((t) => t[1]);
  const keep = (u: FakeDb["users"][number]) =>
    !(types.includes(u.type) && u.principalId > 4 && (!/authentication_type <> 0/.test(sql) || u.authenticationType !== 0));
  db.users = db.users.filter(keep);
  return [[{ containment: db.containment }]];
}

function masking(server: FakeSqlServer, sql: string): Row[][] | undefined {
  if (/FROM sys\.triggers WHERE parent_id/.test(sql)) {
    const t = table(currentDb(server, sql)!, objectRef(sql).schema, objectRef(sql).name);
    return [[...(t?.enabledTriggers ?? [])].sort().map((name) => ({ name }))];
  }
  const trig = /^ALTER TABLE .* (ENABLE|DISABLE) TRIGGER /.exec(sql);
  if (trig) {
    for (const line of sql.split("\n")) {
      const ref = threePart(line, /ALTER TABLE /)!;
      const t = table(server.need(ref.db), ref.schema, ref.name)!;
      const name = bracketed(line.slice(line.lastIndexOf("TRIGGER ")))[0]!;
      if (/ ENABLE TRIGGER /.test(line)) t.enabledTriggers.add(name);
      else t.enabledTriggers.delete(name);
    }
    return [];
  }
  if (/SET \(SYSTEM_VERSIONING = OFF\)/.test(sql)) {
    const t = table(currentDb(server, sql)!, objectRef(sql).schema, objectRef(sql).name);
    if (t?.history) t.versioning = false;
    return [[{ historySchema: t?.history?.schema ?? null, historyTable: t?.history?.name ?? null }]];
  }
  if (/^TRUNCATE TABLE [\s\S]*SYSTEM_VERSIONING = ON/.test(sql)) {
    const h = threePart(sql, /TRUNCATE TABLE /)!;
    const db = server.need(h.db);
    const t = db.tables.find((x) => x.history?.schema === h.schema && x.history?.name === h.name)!;
    t.historyHoldsOriginals = false;
    t.versioning = true;
    return [];
  }
  const changed = threePart(sql, /^UPDATE t SET[\s\S]*?\nFROM /) ?? threePart(sql, /^DELETE FROM /);
  if (changed) {
    const t = table(server.need(changed.db), changed.schema, changed.name);
    if (t?.versioning) t.historyHoldsOriginals = true; // pre-update rows go to the history table
    if (t?.enabledTriggers.size) t.triggerFiredOnMask = true;
    return [[{ n: 0 }]];
  }
  // A production column holds values: the masking reads them, and the leak scan then has originals to search for.
  if (/^SELECT DISTINCT/.test(sql)) return [[{ v: "someone.real@corp.example" }]];
  if (/#dbclone_map_|#dbclone_fks|NOCHECK CONSTRAINT|WITH CHECK CHECK CONSTRAINT|^DROP TABLE|^IF OBJECT_ID/.test(sql)) return [[]];
  return undefined;
}

export function runScriptBatch(server: FakeSqlServer, sql: string, params: Record<string, SqlValue>): Row[][] {
  const db = currentDb(server, sql);
  let result: Row[][] | undefined;
  if (/DROP USER/.test(sql) && /sys\.database_principals/.test(sql)) result = stripPrincipals(db!, sql);
  else if (/^USE \[master\];\n(ALTER DATABASE .* SET RECOVERY SIMPLE|EXEC sys\.sp_clean_db_free_space)/.test(sql)) result = [];
  else if (sql.includes("SELECT s.name AS [schema]")) {
    const columns = db!.tables.flatMap((t) =>
      (t.columns ?? []).map((c) => ({ schema: t.schema, table: t.name, column: c.name, type: c.type, nullable: true, rows: 3 })),
    );
    result = [columns, [], []];
  } else if (/^CREATE LOGIN \[/.test(sql)) {
    server.logins.add(bracketed(sql)[0]!);
    result = [];
  } else if (/CREATE USER \[/.test(sql)) {
    const user = {
      name: bracketed(sql)[1]!,
      type: "S",
      authenticationType: 1,
      principalId: 100 + db!.users.length,
      roles: [] as string[],
      execute: /GRANT EXECUTE TO/.test(sql),
    };
    for (const m of sql.matchAll(/ALTER ROLE (\[(?:[^\]]|\]\])*\]) ADD MEMBER/g)) user.roles.push(bracketed(m[1]!)[0]!);
    db!.users.push(user);
    result = [];
  } else if (/DROP LOGIN/.test(sql)) {
    server.logins.delete(nLiterals(sql).at(-1)!);
    result = [];
  } else if (db) result = scrub(db, sql) ?? masking(server, sql);
  else result = masking(server, sql);
  if (!result) throw new Error(`the fake SQL Server does not understand this batch (params ${JSON.stringify(params)}):\n${sql}`);
  trackUse(server, sql);
  return result;
}
