// PostgreSQL behind the Engine contract; each method's work lives in its own module.
import { existsSync } from "node:fs";
import { MissingToolError } from "../../errors.js";
import { silentReporter, type Reporter } from "../../reporter.js";
import type { CloneLogin, Credentials, DatabaseInfo, Engine, EngineInfo, RunningServer, SchemaConnection, SourceSpec, StartOptions } from "../types.js";
import { findBinaries } from "./binaries.js";
import { copyFresh } from "./copyFresh.js";
import { readEngineFile } from "./engineFile.js";
import { imageCatalogFindings } from "./image-check.js";
import { inventory } from "./inventory.js";
import { connectionString, createLogin, createVerifiedLogin, verifyIdentity } from "./login.js";
import { snapshotSchema } from "./schema-snapshot.js";
import { serverUser } from "./osUser.js";
import { probeSource } from "./probe.js";
import { prepareVerifier } from "./scram.js";
import { restoreSources } from "./restore.js";
import { scrub, type ScrubOptions } from "./scrub.js";
import { stagingSize } from "./staging-size.js";
import { startServer, stopServer } from "./server.js";

export class PostgresEngine implements Engine {
  readonly kind = "postgres" as const;

  async checkPrerequisites(): Promise<void> {
    const bins = await findBinaries();
    for (const p of ["initdb", "postgres", "pg_restore", "psql", "pg_resetwal", "pg_basebackup"]) {
      if (!existsSync(bins.bin(p))) {
        throw new MissingToolError(`${bins.bin(p)} is missing. Install it: apt-get install postgresql-${bins.major}.`);
      }
    }
    serverUser(); // as root: the postgres OS user must exist
  }

  probeSource(source: SourceSpec): Promise<{ description: string; version?: string }> {
    return probeSource(source);
  }

  restore(sources: SourceSpec[], mountPath: string, reporter: Reporter = silentReporter): Promise<EngineInfo> {
    return restoreSources(sources, mountPath, reporter);
  }

  start(mountPath: string, opts: StartOptions, reporter: Reporter = silentReporter): Promise<RunningServer> {
    return startServer(mountPath, opts, reporter);
  }

  stop(server: RunningServer, opts?: { fast?: boolean }): Promise<void> {
    return stopServer(server, opts);
  }

  inventory(server: RunningServer): Promise<DatabaseInfo[]> {
    return inventory(server);
  }

  /** `opts.full` (VACUUM FULL) is what the masking step passes: no old row version survives. */
  scrub(server: RunningServer, reporter: Reporter = silentReporter, opts?: ScrubOptions): Promise<void> {
    return scrub(server, reporter, opts);
  }

  stagingSize(sources: SourceSpec[], requested?: number): Promise<number> {
    return stagingSize(sources, requested);
  }

  copyFresh(fromMount: string, toMount: string, reporter: Reporter = silentReporter): Promise<void> {
    return copyFresh(fromMount, toMount, reporter);
  }

  prepareLogin(login: { password: string }): void {
    prepareVerifier(login.password);
  }

  createLogin(server: RunningServer, databases: string[], opts: { user: string; password: string }): Promise<Credentials> {
    return createLogin(server, databases, opts);
  }

  verifyIdentity(creds: Credentials, cloneId: string, imageDigest: string): Promise<void> {
    return verifyIdentity(creds, cloneId, imageDigest);
  }

  createVerifiedLogin(
    server: RunningServer,
    databases: string[],
    opts: { user: string; password: string },
    identity: { cloneId: string; imageDigest: string },
  ): Promise<Credentials> {
    return createVerifiedLogin(server, databases, opts, identity);
  }

  imageFindings(server: RunningServer): Promise<string[]> {
    return imageCatalogFindings(server);
  }

  credentials(login: CloneLogin, database?: string): Credentials {
    const { user, password, host, port, databases } = login;
    return { user, password, host, port, databases, connectionString: this.connectionString(login, { withPassword: true, database }) };
  }

  /** postgresql://user[:password]@host:port/db; the first database when none is named ("postgres" when there is none). */
  connectionString(login: CloneLogin, opts: { withPassword: boolean; database?: string }): string {
    const database = opts.database ?? login.databases[0] ?? "postgres";
    return connectionString(login.user, opts.withPassword ? login.password : undefined, login.host, login.port, database);
  }

  schemaSnapshot(conn: SchemaConnection, databases: string[]): Promise<string[]> {
    return snapshotSchema(conn, databases);
  }

  async describe(mountPath: string): Promise<EngineInfo> {
    const { kind, version } = await readEngineFile(mountPath);
    return { kind, version };
  }
}
