// Build a SQL Server image: validate every backup chain and list every file, size the staging VHDX
// from the backups (and refuse what Express cannot hold), create the target folders, restore, (mask),
// strip production principals, scrub, detach, copy the data files (backup semantics, no log) onto
// a fresh VHDX, attach there FOR ATTACH_REBUILD_LOG (a brand-new log, moved onto the disk when SQL
// Server put it elsewhere), record the layout, detach MULTI_USER and seal. Undone on failure.
import path from "node:path";
import { BuildError, SourceError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import type { DiskDriver, SealedDisk } from "../../disk/types.js";
import { CleanupStack } from "../../util/cleanup.js";
import type { BackupChain } from "./backup-chain.js";
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
import { MASTER_FILES, attachRebuildLogSql, detachStatements } from "./attach-sql.js";
import { scrubScript } from "./scrub-sql.js";
import { stripPrincipalsSql } from "./principals-sql.js";
import { maskSqlServer } from "./masking.js";
import { sqlServerSchemaFacts } from "./schema-facts.js";
import { EDITION_QUERY, checkEditionLimit, stagingDiskBytes } from "./sizing.js";
import { allFiles, planChains, planFiles, type BackupChainSource, type DatabasePlan } from "./restore-plan.js";
import type { FileOps } from "./file-ops.js";
import { resolvePolicy, type ResolvedPolicy } from "../../masking/policy/resolve-policy.js";
import type { MaskingPolicy } from "../../masking/policy/types.js";
import type { MaskingRun } from "../../masking/plan.js";
import type { DatabaseInfo } from "../types.js";
import { LAYOUT_FILE, type ImageLayout } from "./layout.js";

export { planChains } from "./restore-plan.js";
export type { FileOps } from "./file-ops.js";

export interface SqlServerBuildDeps {
  exec: SqlExecutor;
  disk: DiskDriver;
  files: FileOps;
  reporter: Reporter;
}

export interface BuildSqlServerOptions {
  sources: BackupChainSource[];
  /** Folder for the staging and fresh VHDX files and their mount folders. */
  workDir: string;
  outFile: string;
  /** At least this big; by default the backups' restored size plus headroom (sizing.ts). */
  diskSizeBytes?: number;
  /** Mask after restore, before scrub: the policy, the key bytes and the variant (masking.ts). */
  masking?: { policy: MaskingPolicy; key: Buffer; variant?: string; probeTarget?: number };
}

export interface SqlServerBuildResult {
  sealed: SealedDisk;
  layout: ImageLayout;
  chains: BackupChain[];
  /** Tables and columns after masking (excluded tables gone), for the manifest. */
  databases: DatabaseInfo[];
  masking?: { resolved: ResolvedPolicy; run: MaskingRun };
}

const run = (exec: SqlExecutor, s: Statement) => exec.execute(s.sql, s.params);

/** MOVE targets of one database: the full's files, and each later backup's new files. */
function targetsOf(dir: string, p: DatabasePlan): { full: MoveTarget[]; added: Map<string, MoveTarget[]>; all: MoveTarget[] } {
  const full = moveTargets(dir, p.files);
  const added = new Map([...p.added].map(([k, files]) => [k, moveTargets(dir, files)] as const));
  return { full, added, all: [...full, ...[...added.values()].flat()] };
}

export async function buildSqlServerImage(deps: SqlServerBuildDeps, opts: BuildSqlServerOptions): Promise<SqlServerBuildResult> {
  const { exec, disk, files, reporter } = deps;
  const win = path.win32;
  if (opts.sources.length === 0) throw new SourceError("Give at least one backup chain (a full .bak) to build a SQL Server image.");
  const plans = await planFiles(exec, await planChains(exec, opts.sources));
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
  const diskBytes = Math.max(opts.diskSizeBytes ?? 0, stagingDiskBytes(plans.map(allFiles)));
  const cleanup = new CleanupStack(reporter);
  const stagingFile = win.join(opts.workDir, "staging.vhdx");
  const stagingMount = win.join(opts.workDir, "staging");
  const freshFile = win.join(opts.workDir, "fresh.vhdx");
  const freshMount = win.join(opts.workDir, "fresh");
  try {
    const staging = await disk.createStaging(stagingFile, stagingMount, diskBytes);
    cleanup.push("delete staging disk", () => disk.destroy(stagingFile));
    cleanup.push("unmount staging disk", () => disk.unmount(staging.attachment));
    const dataFiles = new Map<string, { logicalName: string; path: string }[]>();
    const logNames: string[] = [];
    for (const [i, p] of plans.entries()) {
      const t = targetsOf(databaseDir(stagingMount, i, p.db), p);
      for (const folder of foldersToCreate(t.all)) await files.makeDir(folder);
      dataFiles.set(
        p.db,
        t.all.filter((f) => f.kind !== "L").map((f) => ({ logicalName: f.logicalName, path: f.target })),
      );
      logNames.push(...t.all.filter((f) => f.kind === "L").map((f) => win.basename(f.target)));
      cleanup.push(`drop database ${p.db}`, async () => {
        for (const s of detachStatements(p.db)) await run(exec, s);
      });
      const progress = reporter.progress(`restore ${p.db}`, 100);
      for (const s of restoreStatements(p.db, p.chain, { full: t.full, added: t.added })) {
        await exec.execute(s.sql, s.params, { onInfo: (m) => restorePercent(m) !== undefined && progress.update(restorePercent(m)!, 100) });
      }
      progress.finish(`restored ${p.db}`);
    }
    let masking: SqlServerBuildResult["masking"];
    if (opts.masking) {
      const facts = await sqlServerSchemaFacts(
        exec,
        plans.map((p) => p.db),
      );
      const resolved = resolvePolicy(opts.masking.policy, opts.masking.variant, facts);
      reporter.info(`Masking ${resolved.rules.length} column(s)${opts.masking.variant ? ` for variant ${opts.masking.variant}` : ""}`);
      masking = { resolved, run: await maskSqlServer({ exec, policy: resolved, key: opts.masking.key, reporter, probeTarget: opts.masking.probeTarget }) };
    }
    const contained = new Map<string, boolean>();
    for (const { db } of plans) contained.set(db, Number(firstRow(await exec.execute(stripPrincipalsSql(db)))?.containment ?? 0) !== 0);
    const databases = (
      await sqlServerSchemaFacts(
        exec,
        plans.map((p) => p.db),
      )
    ).databases;
    for (const { db } of plans) await executeScript(exec, scrubScript(db));
    for (const { db } of plans) for (const s of detachStatements(db)) await run(exec, s);
    const fresh = await disk.createStaging(freshFile, freshMount, diskBytes);
    cleanup.push("delete fresh disk", () => disk.destroy(freshFile));
    let freshAttachment = fresh.attachment;
    cleanup.push("unmount fresh disk", () => disk.unmount(freshAttachment));
    // The old log stays behind: ATTACH_REBUILD_LOG would attach a log it finds instead of rebuilding it.
    await files.copyTree(win.join(stagingMount, "databases"), win.join(freshMount, "databases"), { excludeFiles: [...new Set(logNames)] });
    // The fresh disk takes the staging disk's mount folder, so every file path stays the same.
    await disk.unmount(staging.attachment);
    await disk.destroy(stagingFile);
    await disk.unmount(fresh.attachment);
    freshAttachment = await disk.mount({ file: freshFile, parents: [] }, stagingMount);
    const layout: ImageLayout = { version: 1, databases: [] };
    for (const [i, { db }] of plans.entries()) {
      await exec.execute(attachRebuildLogSql(db, dataFiles.get(db)!));
      const dir = databaseDir(stagingMount, i, db);
      const rows = (await run(exec, MASTER_FILES(db)))[0] ?? [];
      const onDisk = (p: string) => p.toLowerCase().startsWith(`${stagingMount.toLowerCase()}\\`);
      const moves: { from: string; to: string }[] = [];
      const filesOfDb = rows.map((r, k) => {
        const f = { logicalName: String(r.logicalName), path: String(r.path), kind: String(r.kind) };
        if (onDisk(f.path)) return f;
        if (f.kind !== "LOG")
          throw new BuildError(
            `After attaching '${db}', its file ${f.logicalName} is at ${f.path}, outside the image disk ${stagingMount}; the image would be incomplete.`,
          );
        // CREATE DATABASE does not document where ATTACH_REBUILD_LOG writes the new log (the
        // server's default log folder, in practice): it is moved into the database's folder.
        const to = win.join(dir, `rebuilt-log-${k}.ldf`);
        moves.push({ from: f.path, to });
        return { ...f, path: to };
      });
      for (const s of detachStatements(db, { forImage: true })) await run(exec, s);
      for (const m of moves) await files.moveFile(m.from, m.to);
      layout.databases.push({
        name: db,
        dir: win.relative(stagingMount, dir),
        files: filesOfDb.map((f) => ({ ...f, path: win.relative(stagingMount, f.path) })),
        ...(contained.get(db) ? { contained: true } : {}),
      });
    }
    await files.writeText(win.join(stagingMount, LAYOUT_FILE), JSON.stringify(layout, null, 2));
    const sealed = await disk.seal({ file: freshFile, mountPath: stagingMount, attachment: freshAttachment }, opts.outFile);
    cleanup.dismiss();
    return { sealed, layout, chains: plans.map((p) => p.chain), databases, ...(masking ? { masking } : {}) };
  } catch (e) {
    await cleanup.unwind();
    throw e;
  }
}
