// SQL Server's build half: the one build pipeline (build/build-image.ts) drives it. restore = RESTORE
// the backup chains onto the staging VHDX, which leaves the databases attached under their own
// names: that is the build's "server" (start), and stop detaches what the build still has attached.
// copyFresh + finishFresh copy the data files and attach them FOR ATTACH_REBUILD_LOG on the fresh
// disk (build-steps.ts). One instance per build: it keeps the plan between the steps.
import path from "node:path";
import { SourceError } from "../../errors.js";
import type { Reporter } from "../../reporter.js";
import type { StagingDisk } from "../../disk/types.js";
import type { DatabaseInfo, Engine, EngineInfo, FreshDiskContext, RunningServer, SourceSpec, StartOptions } from "../types.js";
import { SqlServerBuild, serverVersion } from "./build-steps.js";
import { SqlServerEngine } from "./engine.js";
import { sqlServerPort } from "./host.js";
import { sqlServerSchemaFacts } from "./schema-facts.js";

export class SqlServerBuildEngine extends SqlServerEngine implements Engine {
  private buildState?: SqlServerBuild;

  private get build(): SqlServerBuild {
    this.buildState ??= new SqlServerBuild(this.host.files);
    return this.buildState;
  }

  /** Nothing to find on PATH: the VHDX driver checks its own tools, and the server is reached at first use. */
  async checkPrerequisites(): Promise<void> {}

  /** A backup chain, named by its files (no path: it names the builder's machine); the chain itself is read in stagingSize. */
  async probeSource(source: SourceSpec): Promise<{ description: string }> {
    if (source.kind !== "backup-chain") throw new SourceError(`SQL Server images are built from backup chains (--from-backup), not a ${source.kind} source.`);
    const files = [source.full, source.differential, ...(source.logs ?? [])].filter((f): f is string => Boolean(f));
    return { description: files.map((f) => path.win32.basename(f)).join(" + ") };
  }

  /** RESTORE HEADERONLY / FILELISTONLY of every backup: the restored size plus headroom, at least `requested`. */
  stagingSize(sources: SourceSpec[], requested: number | undefined): Promise<number> {
    return this.withExec((exec) => this.build.plan(exec, sources, requested), "restore");
  }

  restore(sources: SourceSpec[], mountPath: string, reporter: Reporter): Promise<EngineInfo> {
    return this.withExec((exec) => this.build.restore(exec, sources, mountPath, reporter), "restore");
  }

  inventory(server: RunningServer): Promise<DatabaseInfo[]> {
    return this.withExec(async (exec) => (await sqlServerSchemaFacts(exec, server.databases ?? this.build.databases)).databases, "restore");
  }

  /** Principals stripped, residue scrubbed (sp_clean_db_free_space rewrites freed pages whether masked or not), then detached. */
  scrub(): Promise<void> {
    return this.withExec((exec) => this.build.scrub(exec), "restore");
  }

  copyFresh(fromMount: string, toMount: string): Promise<void> {
    return this.build.copyFresh(fromMount, toMount);
  }

  finishFresh(fresh: StagingDisk, at: FreshDiskContext): Promise<StagingDisk> {
    return this.withExec((exec) => this.build.finishFresh(exec, fresh, at), "restore");
  }

  /** The server's version: an image's databases carry no engine file of their own. */
  async describe(): Promise<EngineInfo> {
    return { kind: this.kind, version: await this.withExec(serverVersion) };
  }

  /** A build's restore left its databases attached under their own names: that is its server. A clone's start is the clone engine's. */
  override async start(mountPath: string, opts: StartOptions, reporter: Reporter): Promise<RunningServer> {
    if (opts.cloneId || !this.buildState?.databases.length) return super.start(mountPath, opts, reporter);
    const { connection } = this.host;
    return { pid: 0, host: connection.server, port: sqlServerPort(connection), adminUser: "", databases: this.build.databases };
  }

  /** Only what this build still has attached is detached by its image names, never a record's databases. */
  override async stop(server: RunningServer): Promise<void> {
    if (server.cloneId || !this.buildState?.databases.length) return super.stop(server);
    if (this.build.attachedCount > 0) await this.withExec((exec) => this.build.detachAttached(exec), "restore");
  }
}
