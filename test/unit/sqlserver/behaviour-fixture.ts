// A production-like backup chain for the behavioural fake: a full backup whose files sit on D:\ and
// E:\ in production, a differential that adds a data file, a log backup; a database with triggers,
// a system-versioned table, a memory-optimized table, every residue the scrub must clear, and the
// principals production carries (login-mapped, Windows, contained, without login, certificate).
import path from "node:path";
import type { ImageLayout } from "../../../packages/core/src/engine/sqlserver/layout.js";
import { FakeSqlServer, type FakeServerOptions } from "./fake-sqlserver.js";
import type { FakeDatabaseContent } from "./fake-sqlserver-state.js";
import { FakeWindows } from "./fake-windows.js";
import { DIFF, FULL, LOG2 } from "./headers.js";
import { NASTY_DB } from "./golden.js";
import type { FakeBackupFile } from "./fake-resultsets.js";
import { buildThroughPipeline, built, type PipelineBuildOptions } from "./pipeline-build.js";

export const GiB = 1024 ** 3;
export const DB = NASTY_DB;

const FULL_SET = "11111111-2222-3333-4444-555555555555";
/** headers.ts rows with real GUIDs (the documented uniqueidentifier columns). */
const pick = (h: Record<string, unknown>) => ({
  BackupType: h.BackupType,
  DatabaseName: h.DatabaseName,
  FirstLSN: h.FirstLSN,
  LastLSN: h.LastLSN,
  CheckpointLSN: h.CheckpointLSN,
  DifferentialBaseLSN: h.DifferentialBaseLSN,
  DifferentialBaseGUID: h.DifferentialBaseGUID ? FULL_SET : null,
  FamilyGUID: "6f9619ff-8b86-d011-b42d-00c04fc964ff",
  BackupSetGUID: h.BackupSetGUID === "full-set" ? FULL_SET : `22222222-2222-3333-4444-${String(h.FirstLSN).slice(-12)}`,
});

export function fullFiles(dataBytes = 2 * GiB): FakeBackupFile[] {
  return [
    { logicalName: "Sales_Data", physicalName: "D:\\SQLData\\Sales.mdf", type: "D", fileId: 1, sizeBytes: dataBytes },
    { logicalName: "Sales_Log", physicalName: "E:\\SQLLogs\\Sales_log.ldf", type: "L", fileId: 2, sizeBytes: 512 * 1024 ** 2 },
    { logicalName: "Sales_FS", physicalName: "D:\\SQLData\\Sales_FS", type: "S", fileId: 65537, sizeBytes: 100 * 1024 ** 2 },
  ];
}
const ADDED: FakeBackupFile = { logicalName: "Sales_Data2", physicalName: "D:\\SQLData\\Sales2.ndf", type: "D", fileId: 3, sizeBytes: 256 * 1024 ** 2 };

export const CONTENT: FakeDatabaseContent = {
  brokerGuid: "broker-prod",
  filestreamDirectory: "Sales",
  users: [
    { name: "dbo", type: "S", authenticationType: 1, principalId: 1 },
    { name: "guest", type: "S", authenticationType: 0, principalId: 2 },
    { name: "app_login_user", type: "S", authenticationType: 1, principalId: 5 },
    { name: "CORP\\alice", type: "U", authenticationType: 3, principalId: 6 },
    { name: "contained_bob", type: "S", authenticationType: 2, principalId: 7 },
    { name: "no_login", type: "S", authenticationType: 0, principalId: 8 },
    { name: "signing_cert", type: "C", authenticationType: 0, principalId: 9 },
  ],
  tables: [
    {
      schema: "dbo",
      name: "customers",
      history: { schema: "dbo", name: "customers_history" },
      triggers: ["trg_customers_audit"],
      columns: [{ name: "email", type: "nvarchar(200)" }],
    },
    { schema: "dbo", name: "cart", memoryOptimized: true },
  ],
  residue: ["query store", "change tracking", "cdc", "full-text", "filestream garbage", "adr version store"],
};

export function productionServer(opts: FakeServerOptions & { content?: Partial<FakeDatabaseContent>; dataBytes?: number } = {}, fw = new FakeWindows()) {
  const server = new FakeSqlServer(fw, opts);
  const files = fullFiles(opts.dataBytes);
  server.addBackup({ file: "C:\\bak\\full.bak", header: pick(FULL), files, content: { ...CONTENT, ...opts.content } });
  server.addBackup({ file: "C:\\bak\\diff.bak", header: pick(DIFF), files: [...files, ADDED] });
  server.addBackup({ file: "C:\\bak\\l2.trn", header: pick(LOG2), files: [...files, ADDED] });
  return { fw, server };
}

export const SOURCES = [{ kind: "backup-chain" as const, full: "C:\\bak\\full.bak", differential: "C:\\bak\\diff.bak", logs: ["C:\\bak\\l2.trn"] }];

/** Where the tests find the sealed image among the fake's volumes (the pipeline seals it in its work directory). */
export const BASE = "C:\\images\\sales.vhdx";

/**
 * Build the image through the one build pipeline on the fake Windows and SQL Server; the sealed
 * volume is then filed under BASE, where clones and the tests read it.
 */
export async function buildOnFake(fw: FakeWindows, server: FakeSqlServer, extra: Partial<PipelineBuildOptions> = {}) {
  const b = await buildThroughPipeline({ exec: server, disk: fw.disk(), files: fw.fileOps() }, { sources: SOURCES, ...extra });
  const result = built(b);
  const key = (p: string) => path.win32.normalize(p).toLowerCase();
  const sealed = fw.volumes.get(key(b.sealedFile!))!;
  fw.volumes.delete(key(b.sealedFile!));
  fw.volumes.set(key(BASE), { ...sealed, file: BASE });
  return { result, layout: b.layout! };
}

/** dbclone-layout.json as the clone reads it from its mounted child. */
export const readLayoutFrom =
  (fw: FakeWindows) =>
  async (mountPath: string): Promise<ImageLayout> =>
    JSON.parse(fw.get(`${mountPath}\\dbclone-layout.json`)!.text!) as ImageLayout;
