// Build a SQL Server image: validate every backup chain, restore onto a staging VHDX, (mask),
// scrub, detach, copy the data files onto a fresh VHDX, attach there FOR ATTACH_REBUILD_LOG
// (a brand-new log), record the layout, detach and seal. Every acquired thing is undone on failure.
import { cp, writeFile } from "node:fs/promises";
import path from "node:path";
import { BuildError, SourceError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import type { DiskDriver, SealedDisk } from "../../disk/types.js";
import type { SourceSpec } from "../types.js";
import { CleanupStack } from "../../util/cleanup.js";
import { parseBackupHeader, validateBackupChain, type BackupChain, type BackupHeader } from "./backup-chain.js";
import { executeScript, firstRow, type SqlExecutor } from "./executor.js";
import { DATABASE_EXISTS, FILELISTONLY, HEADERONLY, databaseDir, moveTargets, parseFileList, restorePercent, restoreStatements, type Statement } from "./restore-sql.js";
import { MASTER_FILES, attachRebuildLogSql, detachStatements } from "./attach-sql.js";
import { scrubScript } from "./scrub-sql.js";
import { maskSqlServer } from "./masking.js";
import { sqlServerSchemaFacts } from "./schema-facts.js";
import { resolvePolicy, type ResolvedPolicy } from "../../masking/policy/resolve-policy.js";
import type { MaskingPolicy } from "../../masking/policy/types.js";
import type { MaskingRun } from "../../masking/postgres/apply-masking.js";
import type { DatabaseInfo } from "../types.js";
import { LAYOUT_FILE, type ImageLayout } from "./layout.js";

export interface FileOps {
  copyDir(from: string, to: string): Promise<void>;
  writeText(file: string, text: string): Promise<void>;
}

export const realFileOps: FileOps = {
  copyDir: (from, to) => cp(from, to, { recursive: true, errorOnExist: true, force: false }),
  writeText: (file, text) => writeFile(file, text, "utf8"),
};

export interface SqlServerBuildDeps {
  exec: SqlExecutor;
  disk: DiskDriver;
  files: FileOps;
  reporter: Reporter;
}

export interface BuildSqlServerOptions {
  sources: Extract<SourceSpec, { kind: "backup-chain" }>[];
  /** Folder for the staging and fresh VHDX files and their mount folders. */
  workDir: string;
  outFile: string;
  diskSizeBytes: number;
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

async function readHeaders(exec: SqlExecutor, file: string): Promise<BackupHeader[]> {
  const rows = (await run(exec, HEADERONLY(file)))[0] ?? [];
  if (rows.length === 0) throw new SourceError(`RESTORE HEADERONLY found no backup set in ${file}.`);
  return rows.map((r) => parseBackupHeader(r, file));
}

async function singleSet(exec: SqlExecutor, file: string, what: string): Promise<BackupHeader> {
  const sets = await readHeaders(exec, file);
  if (sets.length !== 1) throw new SourceError(`${file} holds ${sets.length} backup sets; pass a ${what} file holding exactly one.`);
  return sets[0]!;
}

/** Read and validate every chain before anything is created or restored. */
export async function planChains(exec: SqlExecutor, sources: BuildSqlServerOptions["sources"]): Promise<{ db: string; chain: BackupChain }[]> {
  const plans: { db: string; chain: BackupChain }[] = [];
  for (const s of sources) {
    const full = await singleSet(exec, s.full, "full backup");
    const diff = s.differential ? await singleSet(exec, s.differential, "differential backup") : undefined;
    const logs: BackupHeader[] = [];
    for (const l of s.logs ?? []) logs.push(...(await readHeaders(exec, l)));
    const chain = validateBackupChain(full, diff, logs);
    const db = s.database ?? chain.databaseName;
    if (plans.some((p) => p.db === db)) throw new SourceError(`Two sources restore into database '${db}'; give one of them another name.`);
    plans.push({ db, chain });
  }
  return plans;
}

export async function buildSqlServerImage(deps: SqlServerBuildDeps, opts: BuildSqlServerOptions): Promise<SqlServerBuildResult> {
  const { exec, disk, files, reporter } = deps;
  const win = path.win32;
  if (opts.sources.length === 0) throw new SourceError("Give at least one backup chain (a full .bak) to build a SQL Server image.");
  const plans = await planChains(exec, opts.sources);
  for (const { db } of plans) {
    if (firstRow(await run(exec, DATABASE_EXISTS(db)))?.id != null) throw new BuildError(`Database '${db}' already exists on this server; drop it or restore under another name.`);
  }
  const cleanup = new CleanupStack(reporter);
  const stagingFile = win.join(opts.workDir, "staging.vhdx");
  const stagingMount = win.join(opts.workDir, "staging");
  const freshFile = win.join(opts.workDir, "fresh.vhdx");
  const freshMount = win.join(opts.workDir, "fresh");
  try {
    const staging = await disk.createStaging(stagingFile, stagingMount, opts.diskSizeBytes);
    cleanup.push("delete staging disk", () => disk.destroy(stagingFile));
    cleanup.push("unmount staging disk", () => disk.unmount(staging.attachment));
    const dataFiles = new Map<string, { logicalName: string; path: string }[]>();
    for (const [i, { db, chain }] of plans.entries()) {
      const fileList = parseFileList((await run(exec, FILELISTONLY(chain.full.file, chain.full.position)))[0] ?? [], chain.full.file);
      const targets = moveTargets(databaseDir(stagingMount, i, db), fileList);
      dataFiles.set(db, targets.filter((t) => t.kind !== "L").map((t) => ({ logicalName: t.logicalName, path: t.target })));
      cleanup.push(`drop database ${db}`, async () => {
        for (const s of detachStatements(db)) await run(exec, s);
      });
      const progress = reporter.progress(`restore ${db}`, 100);
      for (const s of restoreStatements(db, chain, targets)) {
        await exec.execute(s.sql, s.params, { onInfo: (m) => restorePercent(m) !== undefined && progress.update(restorePercent(m)!, 100) });
      }
      progress.finish(`restored ${db}`);
    }
    let masking: SqlServerBuildResult["masking"];
    if (opts.masking) {
      const facts = await sqlServerSchemaFacts(exec, plans.map((p) => p.db));
      const resolved = resolvePolicy(opts.masking.policy, opts.masking.variant, facts);
      reporter.info(`Masking ${resolved.rules.length} column(s)${opts.masking.variant ? ` for variant ${opts.masking.variant}` : ""}`);
      masking = { resolved, run: await maskSqlServer({ exec, policy: resolved, key: opts.masking.key, reporter, probeTarget: opts.masking.probeTarget }) };
    }
    const databases = (await sqlServerSchemaFacts(exec, plans.map((p) => p.db))).databases;
    for (const { db } of plans) await executeScript(exec, scrubScript(db));
    for (const { db } of plans) for (const s of detachStatements(db)) await run(exec, s);
    const fresh = await disk.createStaging(freshFile, freshMount, opts.diskSizeBytes);
    cleanup.push("delete fresh disk", () => disk.destroy(freshFile));
    let freshAttachment = fresh.attachment;
    cleanup.push("unmount fresh disk", () => disk.unmount(freshAttachment));
    await files.copyDir(win.join(stagingMount, "databases"), win.join(freshMount, "databases"));
    // The fresh disk takes the staging disk's mount folder, so every file path stays the same and
    // the rebuilt log lands on the fresh disk, where the old one was.
    await disk.unmount(staging.attachment);
    await disk.destroy(stagingFile);
    await disk.unmount(fresh.attachment);
    freshAttachment = await disk.mount({ file: freshFile, parents: [] }, stagingMount);
    const layout: ImageLayout = { version: 1, databases: [] };
    for (const [i, { db }] of plans.entries()) {
      await exec.execute(attachRebuildLogSql(db, dataFiles.get(db)!));
      const rows = (await run(exec, MASTER_FILES(db)))[0] ?? [];
      const dir = databaseDir(stagingMount, i, db);
      const filesOfDb = rows.map((r) => ({ logicalName: String(r.logicalName), path: String(r.path), kind: String(r.kind) }));
      for (const f of filesOfDb) {
        if (!f.path.toLowerCase().startsWith(stagingMount.toLowerCase() + "\\")) {
          throw new BuildError(`After attaching '${db}', its file ${f.logicalName} is at ${f.path}, outside the image disk ${stagingMount}; the image would be incomplete.`);
        }
      }
      layout.databases.push({ name: db, dir: win.relative(stagingMount, dir), files: filesOfDb.map((f) => ({ ...f, path: win.relative(stagingMount, f.path) })) });
      for (const s of detachStatements(db)) await run(exec, s);
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
