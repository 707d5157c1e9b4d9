// A SQL Server image build through the one build pipeline (core buildImage) on an injected Windows
// host: the test's executor, disk driver and file operations, a temporary home and repository. The
// sealed disk gets real bytes (the repository publishes and the leak scan reads them). The build's
// work directory (under the temporary home) reads as C:\w in `normalize`, so step logs and golden
// files do not depend on where the test ran.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildImage } from "../../../packages/core/src/build/build-image.js";
import type { BuildResult } from "../../../packages/core/src/build/types.js";
import type { DiskDriver, SealedDisk, StagingDisk } from "../../../packages/core/src/disk/types.js";
import type { BackupChainSource } from "../../../packages/core/src/engine/sqlserver/restore-plan.js";
import type { SqlExecutor } from "../../../packages/core/src/engine/sqlserver/executor.js";
import type { FileOps } from "../../../packages/core/src/engine/sqlserver/file-ops.js";
import { useSqlServerHost } from "../../../packages/core/src/engine/sqlserver/host.js";
import type { ImageLayout } from "../../../packages/core/src/engine/sqlserver/layout.js";
import { sha256File } from "../../../packages/core/src/image/digest.js";
import type { MaskingPolicy } from "../../../packages/core/src/masking/policy/types.js";
import { silentReporter } from "../../../packages/core/src/reporter.js";
import { openRepository } from "../../../packages/core/src/repository/index.js";

export interface PipelineHost {
  exec: SqlExecutor;
  disk: DiskDriver;
  files: FileOps;
}

/** The build's work directory once its first disk is made, and its paths spelled C:\w. */
export class WorkDirPaths {
  workDir?: string;

  normalize(text: string): string {
    if (!this.workDir) return text;
    const win = path.win32.normalize(this.workDir);
    return text.split(`${this.workDir}/`).join("C:\\w\\").split(this.workDir).join("C:\\w").split(win).join("C:\\w");
  }
}

export interface PipelineBuildOptions {
  /** Where the work directory is told as soon as it is known (a step log can normalize as it records). */
  paths?: WorkDirPaths;
  sources: BackupChainSource[];
  diskSizeBytes?: number;
  masking?: { policy: MaskingPolicy; key: Buffer };
  /** The sealed disk's bytes (default: a few bytes holding no original value). */
  sealedBytes?: Buffer;
}

export interface PipelineBuild {
  /** The build's result, or the error it failed with. */
  outcome: { result: BuildResult } | { error: unknown };
  /** dbclone-layout.json as the build wrote it (undefined when it failed before). */
  layout?: ImageLayout;
  /** The disk driver's path of the sealed disk (undefined when it failed before). */
  sealedFile?: string;
  /** The work directory's paths as C:\w (posix and Windows spellings). */
  normalize(text: string): string;
}

export async function buildThroughPipeline(host: PipelineHost, opts: PipelineBuildOptions): Promise<PipelineBuild> {
  const root = mkdtempSync(path.join(os.tmpdir(), "dbclone-sqlpipeline-"));
  const paths = opts.paths ?? new WorkDirPaths();
  let layout: ImageLayout | undefined;
  let sealedFile: string | undefined;
  const disk: DiskDriver = Object.create(host.disk) as DiskDriver;
  disk.createStaging = async (file: string, mountPath: string, size: number): Promise<StagingDisk> => {
    paths.workDir ??= path.dirname(file);
    return host.disk.createStaging(file, mountPath, size);
  };
  disk.seal = async (staging: StagingDisk, outFile: string): Promise<SealedDisk> => {
    const sealed = await host.disk.seal(staging, outFile);
    writeFileSync(outFile, opts.sealedBytes ?? Buffer.from("fake vhdx bytes"));
    sealedFile = sealed.file;
    return { ...sealed, digest: await sha256File(outFile), sizeBytes: (opts.sealedBytes ?? Buffer.from("fake vhdx bytes")).length };
  };
  const files: FileOps = {
    ...host.files,
    writeText: async (file, text) => {
      await host.files.writeText(file, text);
      if (file.endsWith("dbclone-layout.json")) layout = JSON.parse(text) as ImageLayout;
    },
  };
  useSqlServerHost({
    platform: "win32",
    connection: { server: "localhost", port: 1433, auth: { kind: "sql", user: "sa", password: "x" }, trustServerCertificate: true },
    connect: async () => host.exec,
    disk: () => disk,
    runner: () => {
      throw new Error("a build runs no PowerShell of its own");
    },
    files,
    readLayout: async () => {
      throw new Error("a build reads no layout");
    },
  });
  let outcome: PipelineBuild["outcome"];
  try {
    const result = await buildImage({
      repository: await openRepository(path.join(root, "repo")),
      name: "sales",
      version: "1",
      sources: opts.sources,
      home: path.join(root, "home"),
      reporter: silentReporter,
      ...(opts.diskSizeBytes ? { diskSizeBytes: opts.diskSizeBytes } : {}),
      ...(opts.masking ? { masking: { policy: opts.masking.policy, key: { bytes: opts.masking.key, insecure: false } } } : {}),
    });
    outcome = { result };
  } catch (error) {
    outcome = { error };
  } finally {
    useSqlServerHost(undefined);
    rmSync(root, { recursive: true, force: true });
  }
  return { outcome, layout, sealedFile, normalize: (text) => paths.normalize(text) };
}

/** The build's result, or its error thrown. */
export function built(b: PipelineBuild): BuildResult {
  if ("error" in b.outcome) throw b.outcome.error;
  return b.outcome.result;
}
