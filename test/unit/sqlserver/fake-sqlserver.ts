// A behavioural fake of SQL Server for the build and clone paths (not a stub: it refuses what the
// real server refuses). It parses the T-SQL dbclone sends and enforces the documented rules:
// - RESTORE … MOVE creates no folder (Msg 5133/3156); a FILESTREAM container's parent must exist and
//   the container must not; unmoved files go to their production path; files added by a later
//   backup need a MOVE on that RESTORE; the volume must have room (Msg 3257); Express stops a
//   database over 10 GB of data files (Msg 1827).
// - HEADERONLY / FILELISTONLY answer with the documented columns and driver types (fake-resultsets).
// - sp_detach_db refuses the current database (Msg 3703), stores SINGLE_USER and the broker GUID in
//   the files, and resets the files' ACLs to the service; attach needs the service (and a Windows
//   caller) to open each file, brings back SINGLE_USER, disables a duplicate broker, refuses a
//   duplicate FILESTREAM directory name and a contained database without contained auth (12824);
//   ATTACH_REBUILD_LOG attaches a log it finds, else writes a new one in the default log folder.
// - A second session in a SINGLE_USER database fails (Msg 924); TCP is off until enabled.
// Scrub, masking and principals batches are handled in fake-sqlserver-scripts.ts.
import path from "node:path";
import type { Row, SqlExecutor, SqlValue } from "../../../packages/core/src/engine/sqlserver/executor.js";
import { fileListRow, headerRow, type FakeBackupFile } from "./fake-resultsets.js";
import { KIND_OF, bracketed, nLiterals, sqlError, tableState, type FakeDatabaseContent, type FakeDb, type FakeDbFile } from "./fake-sqlserver-state.js";
import { runScriptBatch } from "./fake-sqlserver-scripts.js";
import type { FakeWindows } from "./fake-windows.js";

const win = path.win32;
const GB10 = 10_240 * 1024 ** 2;

export interface FakeBackupSet {
  file: string;
  header: Record<string, unknown>;
  files: FakeBackupFile[];
  content?: FakeDatabaseContent;
}

export interface FakeServerOptions {
  edition?: "Express" | "Developer";
  instance?: string | null;
  /** What sys.dm_server_services reports, e.g. LocalSystem. */
  serviceAccount?: string;
  /** DOMAIN\user when dbclone signs in with Windows authentication. */
  windowsCaller?: string;
  containedAuth?: boolean;
}

export class FakeSqlServer implements SqlExecutor {
  readonly databases = new Map<string, FakeDb>();
  readonly backups = new Map<string, FakeBackupSet[]>();
  readonly logins = new Set<string>();
  readonly batches: { sql: string; params: Record<string, SqlValue> }[] = [];
  sessionDb = "master";
  /** Network configuration as SQL Server Configuration Manager / the registry sets it. */
  readonly network = { tcpEnabled: false, tcpPort: 0, loginMode: 1 };
  /** Fail the next batch containing each text (a detach that fails, say). */
  readonly failNext: { text: string; error: Error }[] = [];
  readonly serviceSid: string;
  readonly defaultLogDir: string;

  constructor(
    readonly fs: FakeWindows,
    readonly opts: FakeServerOptions = {},
  ) {
    const instance = opts.instance === undefined ? "SQLEXPRESS" : opts.instance;
    this.serviceSid = instance ? `nt service\\mssql$${instance.toLowerCase()}` : "nt service\\mssqlserver";
    this.defaultLogDir = `C:\\Program Files\\Microsoft SQL Server\\MSSQL16.${instance ?? "MSSQLSERVER"}\\MSSQL\\DATA`;
    fs.mkdirp(this.defaultLogDir);
  }

  addBackup(set: FakeBackupSet): this {
    this.backups.set(set.file.toLowerCase(), [...(this.backups.get(set.file.toLowerCase()) ?? []), set]);
    return this;
  }

  db(name: string): FakeDb | undefined {
    return this.databases.get(name.toLowerCase());
  }

  async close(): Promise<void> {}

  /** A client connecting the way tedious does: TCP only, SQL logins need mixed mode, Msg 924 in SINGLE_USER. */
  connectClient(database: string, login: { sql: boolean } = { sql: true }): void {
    if (!this.network.tcpEnabled) throw new Error("Failed to connect to localhost:1433 - Could not connect (sequence)");
    if (login.sql && this.network.loginMode !== 2) throw sqlError(18456, "Login failed for user. (The server is configured for Windows authentication only.)");
    const db = this.db(database);
    if (db?.state !== "ONLINE") throw sqlError(4060, `Cannot open database "${database}" requested by the login.`);
    if (db.userAccess === "SINGLE_USER" && db.sessions >= 1)
      throw sqlError(924, `Database '${database}' is already open and can only have one user at a time.`);
    db.sessions++;
  }

  async execute(batch: string, params: Record<string, SqlValue> = {}): Promise<Row[][]> {
    this.batches.push({ sql: batch, params });
    // Comments are no code: a statement named in a comment must not count as run.
    const sql = batch
      .split("\n")
      .filter((l) => !l.trim().startsWith("--"))
      .join("\n");
    const fail = this.failNext.findIndex((f) => sql.includes(f.text));
    if (fail >= 0) throw this.failNext.splice(fail, 1)[0]!.error;
    const p = params as Record<string, string | number>;
    if (sql.startsWith("RESTORE HEADERONLY")) return [this.sets(String(p.file)).map((s, i) => headerRow({ Position: i + 1, ...s.header }))];
    if (sql.startsWith("RESTORE FILELISTONLY")) return [this.set(String(p.file), Number(p.position)).files.map(fileListRow)];
    if (sql.startsWith("SELECT DB_ID(@db)")) return [[{ id: this.db(String(p.db)) ? 5 : null }]];
    if (sql.includes("SERVERPROPERTY('EngineEdition')")) {
      const express = (this.opts.edition ?? "Express") === "Express";
      return [[{ engineEdition: express ? 4 : 3, edition: express ? "Express Edition (64-bit)" : "Developer Edition (64-bit)" }]];
    }
    if (sql.includes("SERVERPROPERTY('ProductVersion')")) return [[{ v: "16.0.1000.6" }]];
    if (/^RESTORE (DATABASE|LOG) @db FROM DISK/.test(sql)) return this.restore(p);
    if (sql.startsWith("RESTORE DATABASE @db WITH RECOVERY")) {
      this.need(String(p.db)).state = "ONLINE";
      return [];
    }
    if (sql.includes("sp_detach_db")) return this.detach(String(p.db));
    if (/^CREATE DATABASE [\s\S]*\bFOR ATTACH/.test(sql)) return this.attach(sql);
    if (sql.includes("FROM sys.master_files")) {
      return [this.need(String(p.db)).files.map((f) => ({ logicalName: f.logicalName, path: f.path, kind: f.kind }))];
    }
    if (sql.includes("sys.dm_server_services")) {
      const instance = this.opts.instance === undefined ? "SQLEXPRESS" : this.opts.instance;
      return [[{ account: this.opts.serviceAccount ?? "NT Service\\MSSQL$SQLEXPRESS", instance }]];
    }
    if (sql.includes("N'contained database authentication'")) return [[{ enabled: this.opts.containedAuth ? 1 : 0 }]];
    const useThenAlter = /^(?:USE \[master\];\n)?IF DB_ID\(@db\) IS NOT NULL (?:BEGIN )?ALTER DATABASE/.test(sql);
    if (useThenAlter || /^ALTER DATABASE \[.*\] SET MULTI_USER;$/.test(sql)) {
      if (sql.startsWith("USE [master]")) this.sessionDb = "master";
      const db = this.db(String(p.db ?? bracketed(sql)[0]));
      if (!db) return [];
      for (const m of sql.matchAll(/SET (SINGLE_USER|MULTI_USER)/g)) {
        if (m[1] === "SINGLE_USER") db.sessions = 0; // WITH ROLLBACK IMMEDIATE ends the others
        db.userAccess = m[1] as FakeDb["userAccess"];
      }
      return [];
    }
    if (/DROP DATABASE/.test(sql)) {
      this.sessionDb = "master";
      this.databases.delete(String(p.db).toLowerCase());
      return [];
    }
    return runScriptBatch(this, sql, params);
  }

  private sets(file: string): FakeBackupSet[] {
    const sets = this.backups.get(file.toLowerCase());
    if (!sets) throw sqlError(3201, `Cannot open backup device '${file}'. Operating system error 2(The system cannot find the file specified.).`);
    return sets;
  }

  private set(file: string, position: number): FakeBackupSet {
    const s = this.sets(file)[position - 1];
    if (!s) throw sqlError(4038, `Cannot find file ID ${position} on device '${file}'.`);
    return s;
  }

  need(name: string): FakeDb {
    const db = this.db(name);
    if (!db) throw sqlError(911, `Database '${name}' does not exist.`);
    return db;
  }

  /** Put one backed-up file at its target, the way RESTORE does, or fail like it. */
  private placeFile(f: FakeBackupFile, target: string): void {
    const dir = win.dirname(target);
    if (!this.fs.isDir(dir)) {
      throw sqlError(
        5133,
        `Directory lookup for the file "${target}" failed with the operating system error 3(The system cannot find the path specified.). ` +
          "RESTORE DATABASE is terminating abnormally (Msg 3156).",
      );
    }
    if (this.fs.exists(target)) throw sqlError(1834, `The file '${target}' cannot be overwritten. It is being used by database or already exists.`);
    if (f.type === "S" || f.type === "F") {
      this.fs.mkdirp(target);
      this.fs.createFile(win.join(target, "filestream.hdr"), 0, this.serviceSid); // a container holds its header and blobs
    } else this.fs.createFile(target, f.sizeBytes, this.serviceSid);
    this.fs.get(target)!.size = f.sizeBytes;
    const v = this.fs.volumeOf(target);
    if (v && v.used > v.volume.capacity)
      throw sqlError(3257, `There is insufficient free space on disk volume '${v.volume.mountedAt}' to create the database.`);
  }

  private restore(p: Record<string, string | number>): Row[][] {
    const set = this.set(String(p.file), Number(p.position));
    const moves = new Map<string, string>();
    for (let i = 0; p[`move${i}_from`] !== undefined; i++) moves.set(String(p[`move${i}_from`]), String(p[`move${i}_to`]));
    for (const from of moves.keys()) {
      if (!set.files.some((f) => f.logicalName === from))
        throw sqlError(3234, `Logical file '${from}' is not part of database. Use RESTORE FILELISTONLY to list the logical file names.`);
    }
    const name = String(p.db);
    let db = this.db(name);
    const type = Number(set.header.BackupType);
    if (type === 1) {
      if (db) throw sqlError(3154, `The backup set holds a backup of a database other than the existing '${name}' database.`);
      if ((this.opts.edition ?? "Express") === "Express") {
        const data = set.files.filter((f) => f.type === "D").reduce((s, f) => s + f.sizeBytes, 0);
        if (data > GB10)
          throw sqlError(
            1827,
            "CREATE DATABASE or ALTER DATABASE failed because the resulting cumulative database size would exceed your licensed limit of 10240 MB per database.",
          );
      }
      const c = set.content ?? { brokerGuid: `broker-${name}` };
      db = {
        name,
        state: "RESTORING",
        files: [],
        userAccess: "MULTI_USER",
        brokerGuid: c.brokerGuid,
        brokerEnabled: true,
        filestreamDirectory: c.filestreamDirectory,
        containment: c.containment ?? 0,
        users: (c.users ?? []).map((u) => ({ ...u })),
        tables: (c.tables ?? []).map(tableState),
        residue: new Set(c.residue ?? []),
        oldLog: true,
        checkpointed: false,
        sessions: 0,
      };
      this.databases.set(name.toLowerCase(), db);
    } else if (db?.state !== "RESTORING") {
      throw sqlError(3117, `The log or differential backup cannot be restored because no files are ready to rollforward (database '${name}').`);
    }
    for (const f of set.files) {
      if (db.files.some((x) => x.logicalName === f.logicalName)) continue;
      const target = moves.get(f.logicalName) ?? f.physicalName;
      this.placeFile(f, target);
      db.files.push({ logicalName: f.logicalName, path: target, kind: KIND_OF[f.type]! });
    }
    return [];
  }

  private detach(name: string): Row[][] {
    const db = this.db(name);
    if (!db) return [];
    if (this.sessionDb.toLowerCase() === name.toLowerCase()) throw sqlError(3703, `Cannot detach the database '${name}' because it is currently in use.`);
    if (db.sessions > 0) throw sqlError(3703, `Cannot detach the database '${name}' because it is currently in use.`);
    const primary = db.files.find((f) => f.kind === "ROWS")!;
    const { sessions: _s, state: _st, ...stored } = db;
    this.fs.get(primary.path)!.meta = {
      db: JSON.parse(
        JSON.stringify({ ...stored, residue: [...db.residue], tables: db.tables.map((t) => ({ ...t, enabledTriggers: [...t.enabledTriggers] })) }),
      ),
    };
    // "Securing Data and Log Files": on detach the files' permissions are reset to the service.
    for (const f of db.files) {
      for (const p of [f.path, ...this.fs.children(f.path)]) {
        const n = this.fs.get(p);
        if (!n) continue;
        n.owner = this.serviceSid;
        n.acl = new Set([this.serviceSid, ...(this.opts.windowsCaller ? [this.opts.windowsCaller.toLowerCase()] : [])]);
      }
    }
    if (!db.oldLog) this.fs.get(db.files.find((f) => f.kind === "LOG")!.path)!.meta = { fresh: true };
    this.databases.delete(name.toLowerCase());
    return [];
  }

  private canOpen(p: string): boolean {
    return this.fs.exists(p) && this.fs.canAccess(p, this.serviceSid) && (!this.opts.windowsCaller || this.fs.canAccess(p, this.opts.windowsCaller));
  }

  private attach(sql: string): Row[][] {
    const name = bracketed(sql)[0]!;
    if (this.db(name)) throw sqlError(1801, `Database '${name}' already exists.`);
    const specs = [...sql.matchAll(/\(NAME = (N'(?:[^']|'')*'), FILENAME = (N'(?:[^']|'')*')\)/g)].map((m) => ({
      logicalName: nLiterals(m[1]!)[0]!,
      path: nLiterals(m[2]!)[0]!,
    }));
    const rebuild = /FOR ATTACH_REBUILD_LOG/.test(sql);
    for (const s of specs)
      if (!this.canOpen(s.path)) throw sqlError(5120, `Unable to open the physical file "${s.path}". Operating system error 5: "5(Access is denied.)".`);
    const stored = this.fs.get(specs[0]!.path)?.meta?.db as
      | (FakeDb & { residue: string[]; tables: (FakeDb["tables"][number] & { enabledTriggers: string[] })[] })
      | undefined;
    if (!stored) throw sqlError(5172, `The header for file '${specs[0]!.path}' is not a valid database file header.`);
    if (stored.containment === 1 && !this.opts.containedAuth) {
      throw sqlError(12824, "The sp_configure value 'contained database authentication' must be set to 1 in order to attach a contained database.");
    }
    const files: FakeDbFile[] = [];
    for (const f of stored.files) {
      const given = specs.find((s) => s.logicalName === f.logicalName);
      const at = given?.path ?? win.join(win.dirname(specs[0]!.path), win.relative(win.dirname(stored.files[0]!.path), f.path));
      if (given || (f.kind !== "LOG" && this.canOpen(f.path))) files.push({ ...f, path: given ? given.path : f.path });
      else if (f.kind === "LOG" && rebuild && this.canOpen(f.path))
        files.push(f); // a log it finds is attached, not rebuilt
      else if (f.kind === "LOG" && rebuild) {
        const fresh = win.join(this.defaultLogDir, `${name}_log.ldf`);
        this.fs.createFile(fresh, 8 * 1024 ** 2, this.serviceSid, { fresh: true });
        files.push({ ...f, path: fresh });
      } else throw sqlError(5120, `Unable to open the physical file "${at}". Operating system error 2: "2(The system cannot find the file specified.)".`);
    }
    const log = files.find((f) => f.kind === "LOG")!;
    const oldLog = !this.fs.get(log.path)?.meta?.fresh;
    const hasFs = files.some((f) => f.kind === "FILESTREAM");
    const dirName = /DIRECTORY_NAME = (N'(?:[^']|'')*')/.exec(sql)?.[1];
    const directory = hasFs ? (dirName ? nLiterals(dirName)[0] : stored.filestreamDirectory) : undefined;
    if (directory && [...this.databases.values()].some((d) => d.filestreamDirectory?.toLowerCase() === directory.toLowerCase())) {
      throw sqlError(5591, `FILESTREAM DIRECTORY_NAME '${directory}' is not unique in this SQL Server instance; the database cannot be attached.`);
    }
    const newBroker = /\bNEW_BROKER\b/.test(sql);
    const duplicateBroker = [...this.databases.values()].some((d) => d.brokerGuid === stored.brokerGuid);
    this.databases.set(name.toLowerCase(), {
      ...stored,
      name,
      state: "ONLINE",
      files,
      sessions: 0,
      oldLog,
      checkpointed: false,
      filestreamDirectory: directory,
      brokerGuid: newBroker ? `broker-${name}` : stored.brokerGuid,
      brokerEnabled: newBroker || (stored.brokerEnabled && !duplicateBroker),
      residue: new Set(stored.residue),
      tables: stored.tables.map((t) => ({ ...t, enabledTriggers: new Set(t.enabledTriggers) })),
    });
    return [];
  }
}
