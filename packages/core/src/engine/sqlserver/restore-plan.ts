// What a build restores, read from the backups before anything is created: every chain checked by
// LSN (RESTORE HEADERONLY), and every file of every database (RESTORE FILELISTONLY of the full and
// of each later backup, so files added after the full backup get a MOVE too).
import { SourceError } from "../../errors.js";
import type { SourceSpec } from "../types.js";
import { parseBackupHeader, validateBackupChain, type BackupChain, type BackupHeader } from "./backup-chain.js";
import type { SqlExecutor } from "./executor.js";
import { FILELISTONLY, HEADERONLY, backupKey, parseFileList, type BackupFile, type Statement } from "./restore-sql.js";

export type BackupChainSource = Extract<SourceSpec, { kind: "backup-chain" }>;

export interface DatabasePlan {
  db: string;
  chain: BackupChain;
  /** Files of the full backup. */
  files: BackupFile[];
  /** Files first seen in a differential or log backup, by backupKey. */
  added: Map<string, BackupFile[]>;
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
export async function planChains(exec: SqlExecutor, sources: BackupChainSource[]): Promise<{ db: string; chain: BackupChain }[]> {
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

/** FILELISTONLY of every backup in each chain: the full's files, then those a later backup adds. */
export async function planFiles(exec: SqlExecutor, chains: { db: string; chain: BackupChain }[]): Promise<DatabasePlan[]> {
  const out: DatabasePlan[] = [];
  for (const { db, chain } of chains) {
    const list = async (h: BackupHeader) => parseFileList((await run(exec, FILELISTONLY(h.file, h.position)))[0] ?? [], h.file);
    const files = await list(chain.full);
    const known = new Set(files.map((f) => f.logicalName));
    const added = new Map<string, BackupFile[]>();
    for (const h of [...(chain.differential ? [chain.differential] : []), ...chain.logs]) {
      const fresh = (await list(h)).filter((f) => !known.has(f.logicalName));
      for (const f of fresh) known.add(f.logicalName);
      if (fresh.length) added.set(backupKey(h), fresh);
    }
    out.push({ db, chain, files, added });
  }
  return out;
}

/** Every file a database will have once its chain is restored. */
export const allFiles = (p: DatabasePlan): BackupFile[] => [...p.files, ...[...p.added.values()].flat()];
