// An injected Windows host for SQL Server builds and clones: fake SQL Server answers, a fake VHDX
// driver whose seal writes a real blob (the bytes the leak scan reads), a fake PowerShell runner.
import { writeFileSync } from "node:fs";
import type { SealedDisk, StagingDisk } from "../../../packages/core/src/disk/types.js";
import { useSqlServerHost, type SqlServerHost } from "../../../packages/core/src/engine/sqlserver/host.js";
import { sha256File } from "../../../packages/core/src/image/digest.js";
import { FakeDisk, FakeExecutor, FakeRunner, StepLog } from "./fakes.js";
import { header } from "./headers.js";

/** A fake disk whose seal writes a real blob (`sealedBytes`), so the repository can publish it. */
class SealingDisk extends FakeDisk {
  constructor(
    log: StepLog,
    private readonly sealedBytes: Buffer,
  ) {
    super(log);
  }

  override async seal(staging: StagingDisk, outFile: string): Promise<SealedDisk> {
    await super.seal(staging, outFile);
    writeFileSync(outFile, this.sealedBytes);
    return { file: outFile, digest: await sha256File(outFile), sizeBytes: this.sealedBytes.length, virtualSizeBytes: 1 << 30 };
  }
}

export interface FakeHost {
  exec: FakeExecutor;
  log: StepLog;
}

export function installHost(platform: NodeJS.Platform, sealedBytes: Buffer = Buffer.from("fake vhdx bytes")): FakeHost {
  const log = new StepLog();
  const exec = new FakeExecutor(log)
    .on("HEADERONLY", [[header({ type: 1, first: "100", last: "200", db: "Sales" })]], "C:\\bak\\full.bak")
    .on("HEADERONLY", [[header({ type: 2, first: "150", last: "300", db: "Sales" })]], "C:\\bak\\1.trn")
    .on("FILELISTONLY", [
      [
        { LogicalName: "Sales_Data", Type: "D", FileID: 1 },
        { LogicalName: "Sales_Log", Type: "L", FileID: 2 },
      ],
    ])
    .on("SELECT s.name AS [schema]", [[{ schema: "dbo", table: "customers", column: "email", type: "nvarchar(200)", nullable: true, rows: 3 }], [], []])
    .on("ProductVersion", [[{ v: "16.0.1000.6" }]])
    .on("dm_server_services", [[{ account: "NT SERVICE\\MSSQLSERVER" }]]);
  // sys.master_files answers where RESTORE … MOVE put the data file (under the build's staging mount).
  const execute = exec.execute.bind(exec);
  let moved = "";
  exec.execute = async (sql, params = {}) => {
    if (typeof params.move0_to === "string") moved = params.move0_to;
    const result = await execute(sql, params);
    return sql.includes("sys.master_files") ? [[{ logicalName: "Sales_Data", path: moved, kind: "ROWS" }]] : result;
  };
  const host: SqlServerHost = {
    platform,
    connection: { server: "localhost", port: 1433, auth: { kind: "sql", user: "sa", password: "x" }, trustServerCertificate: true },
    connect: async () => exec,
    disk: () => new SealingDisk(log, sealedBytes),
    runner: () => new FakeRunner(log),
    files: {
      makeDir: async () => {},
      copyTree: async (a, b) => log.record(`files: copy ${a} -> ${b}`),
      moveFile: async () => {},
      writeText: async (f) => log.record(`files: write ${f}`),
    },
    readLayout: async () => ({
      version: 1,
      databases: [{ name: "Sales", dir: "databases\\0-Sales", files: [{ logicalName: "Sales_Data", path: "databases\\0-Sales\\f1.mdf", kind: "ROWS" }] }],
    }),
  };
  useSqlServerHost(host);
  return { exec, log };
}
