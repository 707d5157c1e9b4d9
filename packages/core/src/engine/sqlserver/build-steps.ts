// SQL Server's steps of the one image build (build/build-image.ts calls them through SqlServerEngine):
// plan (every chain checked by LSN, every file listed, the staging VHDX sized and the edition's cap
// checked, all before any disk exists), restore (folders first, then RESTORE … MOVE onto the staging
// disk), strip production principals + scrub + detach, copy the data files without the log onto the
// fresh disk, and there attach FOR ATTACH_REBUILD_LOG (a brand-new log, moved onto the disk when SQL
// Server put it elsewhere), record the layout and detach MULTI_USER. One instance per build.
import path from "node:path";
import { BuildError, SourceError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import type { StagingDisk } from "../../disk/types.js";
import { CleanupStack } from "../../util/cleanup.js";
import type { EngineInfo, FreshDiskContext, SourceSpec } from "../types.js";
import { executeScript, firstRow, type SqlExecutor } from "./executor.js";
import {
  DATABASE_EXISTS,
  databaseDir,
  foldersToCreate,
  moveTargets,
  restorePercent,
  restoreStatements,
  type MoveTarget,
  type Statement,
} from "./restore-sql.js";
import { MASTER_FILES, attachRebuildLogSql, detachStatements, type AttachFile } from "./attach-sql.js";
import { scrubScript } from "./scrub-sql.js";
import { stripPrincipalsSql } from "./principals-sql.js";
import { EDITION_QUERY, checkEditionLimit, stagingDiskBytes } from "./sizing.js";
import { allFiles, planChains, planFiles, type BackupChainSource, type DatabasePlan } from "./restore-plan.js";
import type { FileOps } from "./file-ops.js";
import { LAYOUT_FILE, type ImageLayout } from "./layout.js";

const win = path.win32;
const run = (exec: SqlExecutor, s: Statement) => exec.execute(s.sql, s.params);

/** MOVE targets of one database: the full's files, and each later backup's new files. */
function targetsOf(dir: string, p: DatabasePlan): { full: MoveTarget[]; added: Map<string, MoveTarget[]>; all: MoveTarget[] } {
  const full = moveTargets(dir, p.files);
  const added = new Map([...p.added].map(([k, files]) => [k, moveTargets(dir, files)] as const));
  return { full, added, all: [...full, ...[...added.values()].flat()] };
}

function backupChainSources(sources: SourceSpec[]): BackupChainSource[] {
  if (sources.length === 0) throw new SourceError("Give at least one backup chain (a full .bak) to build a SQL Server image.");
  const other = sources.find((s) => s.kind !== "backup-chain");
  if (other) throw new SourceError(`SQL Server images are built from backup chains (--from-backup), not a ${other.kind} source.`);
  return sources as BackupChainSource[];
}

/** What one build learns as it goes, for the steps after: the plan, each database's data files and logs, containment. */
export class SqlServerBuild {
  private plans?: DatabasePlan[];
  private readonly dataFiles = new Map<string, AttachFile[]>();
  private readonly logNames = new Set<string>();
  private readonly contained = new Map<string, boolean>();
  /** Databases this build has attached now: what stopping its "server" detaches (never a name it did not attach). */
  private readonly attached = new Set<string>();

  constructor(private readonly files: FileOps) {}

  /** The restored databases' names, in restore order (empty before plan). */
  get databases(): string[] {
    return (this.plans ?? []).map((p) => p.db);
  }

  /** Validate every chain, list every file, refuse names in use and what the edition cannot hold; the staging disk's bytes. */
  async plan(exec: SqlExecutor, sources: SourceSpec[], requested: number | undefined): Promise<number> {
    const plans = await planFiles(exec, await planChains(exec, backupChainSources(sources)));
    for (const { db } of plans) {
      if (firstRow(await run(exec, DATABASE_EXISTS(db)))?.id != null)
        throw new BuildError(`Database '${db}' already exists on this server; drop it or restore under another name.`);
    }
    const edition = firstRow(await run(exec, EDITION_QUERY));
    checkEditionLimit(
      Number(edition?.engineEdition),
      String(edition?.edition ?? "this edition"),
      plans.map((p) => ({ db: p.db, files: allFiles(p) })),
    );
    this.plans = plans;
    // Sized from the backups (RESTORE FILELISTONLY); a larger size asked for is taken.
    return Math.max(requested ?? 0, stagingDiskBytes(plans.map(allFiles)));
  }

  /** Restore every chain under `mountPath`; a failure detaches every database begun, in reverse. */
  async restore(exec: SqlExecutor, sources: SourceSpec[], mountPath: string, reporter: Reporter): Promise<EngineInfo> {
    if (!this.plans) await this.plan(exec, sources, undefined);
    const plans = this.plans!;
    const mount = win.normalize(mountPath);
    const cleanup = new CleanupStack(reporter);
    try {
      for (const [i, p] of plans.entries()) {
        const t = targetsOf(databaseDir(mount, i, p.db), p);
        for (const folder of foldersToCreate(t.all)) await this.files.makeDir(folder);
        this.dataFiles.set(
          p.db,
          t.all.filter((f) => f.kind !== "L").map((f) => ({ logicalName: f.logicalName, path: f.target })),
        );
        for (const f of t.all.filter((f) => f.kind === "L")) this.logNames.add(win.basename(f.target));
        this.attached.add(p.db);
        cleanup.push(`drop database ${p.db}`, () => this.detach(exec, p.db));
        const progress = reporter.progress(`restore ${p.db}`, 100);
        for (const s of restoreStatements(p.db, p.chain, { full: t.full, added: t.added })) {
          await exec.execute(s.sql, s.params, { onInfo: (m) => restorePercent(m) !== undefined && progress.update(restorePercent(m)!, 100) });
        }
        progress.finish(`restored ${p.db}`);
      }
      const version = await serverVersion(exec);
      cleanup.dismiss();
      return { kind: "sqlserver", version, backupChain: backupChainRecord(plans) };
    } catch (e) {
      await cleanup.unwind();
      throw e;
    }
  }

  /** Production principals out (containment noted for the layout), every residue scrubbed, then detached. */
  async scrub(exec: SqlExecutor): Promise<void> {
    for (const db of this.databases) this.contained.set(db, Number(firstRow(await exec.execute(stripPrincipalsSql(db)))?.containment ?? 0) !== 0);
    for (const db of this.databases) await executeScript(exec, scrubScript(db));
    for (const db of this.databases) await this.detach(exec, db);
  }

  get attachedCount(): number {
    return this.attached.size;
  }

  /** Stop the build's "server": detach what this build still has attached, last first. */
  async detachAttached(exec: SqlExecutor): Promise<void> {
    for (const db of [...this.attached].reverse()) await this.detach(exec, db);
  }

  /** IF DB_ID … guards each statement: a database already gone is skipped. */
  private async detach(exec: SqlExecutor, db: string, opts: { forImage?: boolean } = {}): Promise<void> {
    for (const s of detachStatements(db, opts)) await run(exec, s);
    this.attached.delete(db);
  }

  /** The detached data files with backup semantics; the old log stays behind (ATTACH_REBUILD_LOG would attach a log it finds). */
  async copyFresh(fromMount: string, toMount: string): Promise<void> {
    await this.files.copyTree(win.join(fromMount, "databases"), win.join(toMount, "databases"), { excludeFiles: [...this.logNames] });
  }

  /** The fresh disk takes the staging disk's mount folder (every file path stays the same), attaches with a new log, and gets its layout. */
  async finishFresh(exec: SqlExecutor, fresh: StagingDisk, at: FreshDiskContext): Promise<StagingDisk> {
    const mount = win.normalize(at.stagingMount);
    await at.driver.unmount(fresh.attachment);
    const disk: StagingDisk = { file: fresh.file, mountPath: mount, attachment: await at.driver.mount({ file: fresh.file, parents: [] }, mount) };
    at.moved(disk);
    const layout: ImageLayout = { version: 1, databases: [] };
    for (const [i, db] of this.databases.entries()) {
      this.attached.add(db);
      await exec.execute(attachRebuildLogSql(db, this.dataFiles.get(db)!));
      const dir = databaseDir(mount, i, db);
      const rows = (await run(exec, MASTER_FILES(db)))[0] ?? [];
      const onDisk = (p: string) => p.toLowerCase().startsWith(`${mount.toLowerCase()}\\`);
      const moves: { from: string; to: string }[] = [];
      const filesOfDb = rows.map((r, k) => {
        const f = { logicalName: String(r.logicalName), path: String(r.path), kind: String(r.kind) };
        if (onDisk(f.path)) return f;
        if (f.kind !== "LOG")
          throw new BuildError(
            `After attaching '${db}', its file ${f.logicalName} is at ${f.path}, outside the image disk ${mount}; the image would be incomplete.`,
          );
        // CREATE DATABASE does not document where ATTACH_REBUILD_LOG writes the new log (the
        // server's default log folder, in practice): it is moved into the database's folder.
        const to = win.join(dir, `rebuilt-log-${k}.ldf`);
        moves.push({ from: f.path, to });
        return { ...f, path: to };
      });
      await this.detach(exec, db, { forImage: true });
      for (const m of moves) await this.files.moveFile(m.from, m.to);
      layout.databases.push({
        name: db,
        dir: win.relative(mount, dir),
        files: filesOfDb.map((f) => ({ ...f, path: win.relative(mount, f.path) })),
        ...(this.contained.get(db) ? { contained: true } : {}),
      });
    }
    await this.files.writeText(win.join(mount, LAYOUT_FILE), JSON.stringify(layout, null, 2));
    return disk;
  }
}

export async function serverVersion(exec: SqlExecutor): Promise<string> {
  return String(firstRow(await exec.execute("SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(64)) AS v;"))?.v ?? "unknown");
}

/** The manifest's source.backupChain: each database's LSNs, so a reader knows which point in time it holds. */
function backupChainRecord(plans: DatabasePlan[]): Record<string, unknown> {
  return {
    databases: plans.map(({ chain: c }) => ({
      database: c.databaseName,
      fullLastLsn: String(c.full.lastLsn),
      ...(c.differential ? { differentialLastLsn: String(c.differential.lastLsn) } : {}),
      logs: c.logs.length,
      ...(c.logs.length ? { lastLsn: String(c.logs.at(-1)!.lastLsn) } : {}),
    })),
  };
}
