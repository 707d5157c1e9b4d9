// The contract every database engine implements (PostgreSQL here; SQL Server on Windows).
import type { DatabaseInfo } from "../image/inventory.js";
import type { ImageManifest } from "../image/manifest.js";
import type { Reporter } from "../reporter.js";
import type { Runtime } from "../runtime/types.js";
import type { DiskDriver, StagingDisk } from "../disk/types.js";

/** Where an image's data comes from. */
export type SourceSpec =
  | { kind: "dump"; path: string; database?: string }
  | { kind: "datadir"; path: string }
  | { kind: "server"; url: string }
  | { kind: "backup-chain"; full: string; differential?: string; logs?: string[]; database?: string }
  /**
   * PostgreSQL point-in-time recovery: a pg_basebackup directory (plain or tar format) plus a
   * directory of archived WAL, replayed to at most one target and promoted. keepRecoveryState: a
   * directory kept between builds holding the replayed, unpromoted state (continued next time).
   */
  | { kind: "basebackup"; path: string; walArchive?: string; recoveryTargetTime?: string; recoveryTargetLsn?: string; keepRecoveryState?: string };

export type { DatabaseInfo, TableInfo } from "../image/inventory.js";

export interface EngineInfo {
  kind: ImageManifest["engine"]["kind"];
  /** Full server version, e.g. "15.18". */
  version: string;
  /** From restore() of a backup source: backup LSNs, timeline, recovery target, archive range (manifest source.backupChain). */
  backupChain?: Record<string, unknown>;
  /** restore() removed every role's password, the superuser's included (manifest source.rolePasswordsStripped). */
  rolePasswordsStripped?: boolean;
}

/** A server running over a clone's (or staging) data. */
export interface RunningServer {
  /** Host process id; for a container, its main process as the host sees it (0 when not visible). */
  pid: number;
  /** Set when the server runs in a container (runtime/docker). */
  containerId?: string;
  host: string;
  port: number;
  /** Private unix-socket directory (PostgreSQL), when any. */
  socketDir?: string;
  /** The engine's own superuser name inside this data (never handed out). */
  adminUser: string;
  /** The names the clone's databases got on a server clones share (SQL Server: <db>__<id>); absent: the image's. */
  databases?: string[];
  /** The clone a shared server serves this for (its databases and login carry the id). */
  cloneId?: string;
}

export interface Credentials {
  user: string;
  password: string;
  host: string;
  port: number;
  databases: string[];
  /** For the first database. */
  connectionString: string;
}

/** A clone's login as its record keeps it: enough to connect. */
export interface CloneLogin {
  user: string;
  password: string;
  host: string;
  port: number;
  databases: string[];
}

/** Where a schema snapshot connects, as the clone's own login. */
export type SchemaConnection = Pick<CloneLogin, "host" | "port" | "user" | "password">;

/**
 * How callers reach an engine's clones: what every engine answers without running anything of its
 * own (CloneEngine below runs them; Engine also builds images).
 */
export interface EngineConnection {
  readonly kind: EngineInfo["kind"];
  /** The login's credentials, the connection string on `database` (default: the first). */
  credentials(login: CloneLogin, database?: string): Credentials;
  /** The engine's connection string for the login; without the password for display. */
  connectionString(login: CloneLogin, opts: { withPassword: boolean; database?: string }): string;
  /** The schema as sorted, normalized lines (tables, columns, indexes, constraints) per database; absent: not supported. */
  schemaSnapshot?(conn: SchemaConnection, databases: string[]): Promise<string[]>;
}

export type Durability = "ephemeral" | "durable";

export interface StartOptions {
  port: number;
  /** Private directory for the unix socket and runtime files. */
  runDir: string;
  /** Listen address, default 127.0.0.1. */
  host?: string;
  durability?: Durability;
  /** Identity checked before a connection is handed out. */
  cloneId?: string;
  imageDigest?: string;
  timeoutMs?: number;
  /** Where the server runs; default a host process. */
  runtime?: Runtime;
  /** Labels on what the runtime creates (a container): dbclone.clone=<id> etc. */
  runtimeLabels?: Record<string, string>;
  /**
   * Listen on every address of the server's own network (a container with a bridge network,
   * whose published port decides what is reachable) and accept password logins from any of them.
   */
  listenAll?: boolean;
  /**
   * The database the clone's login will be made in first: a server-per-clone engine may answer its
   * readiness query there and keep that admin session for the login (one connection fewer).
   */
  readyDatabase?: string;
}

/** Where the clones of an engine whose clones share one server are reached, and the login each gets there. */
export interface CloneEndpoint {
  host: string;
  port: number;
  user: string;
}

/**
 * What the one clone session (clones/session.ts) and teardown need of an engine: serve the data on
 * a mounted clone disk, give it a login of its own, prove it is that clone, and let it go.
 */
export interface CloneEngine extends EngineConnection {
  /** Serve the data under `mountPath` (a server of its own, or attached to the shared one); resolves once it answers. */
  start(mountPath: string, opts: StartOptions, reporter: Reporter): Promise<RunningServer>;
  stop(server: RunningServer, opts?: { fast?: boolean }): Promise<void>;
  /**
   * Start what the clone's login will need and can make ahead (PostgreSQL: the password's SCRAM
   * verifier, on the thread pool), while the disk is made and the server starts.
   */
  prepareLogin?(login: { password: string }): void;
  /** A login of the clone's own with a random password and no superuser rights. */
  createLogin(server: RunningServer, databases: string[], opts: { user: string; password: string }): Promise<Credentials>;
  /** Drop a login that lives outside the clone's data (SQL Server's server login); absent: it goes with the data. */
  dropLogin?(server: RunningServer, user: string): Promise<void>;
  /** Prove the server on host:port is this clone of this image, as the login. */
  verifyIdentity(creds: Credentials, cloneId: string, imageDigest: string): Promise<void>;
  /**
   * createLogin, made only after the server proved, without any credential sent to host:port, that it
   * is this clone of this image and what answers there (one connection instead of two). A new clone
   * uses it instead of createLogin + verifyIdentity where the engine has it.
   */
  createVerifiedLogin?(
    server: RunningServer,
    databases: string[],
    opts: { user: string; password: string },
    identity: { cloneId: string; imageDigest: string },
  ): Promise<Credentials>;
  /**
   * What the image's catalogs carry that a build of this version takes out (a password, a widened
   * system grant, code that runs as a superuser…), one line per finding naming objects, never values;
   * read only, on a clone's running server before its login exists. Absent: nothing to check.
   */
  imageFindings?(server: RunningServer): Promise<string[]>;
  /** Set when every clone attaches to one server (SQL Server): its address and the clone's login; absent: a server per clone on a reserved port. */
  cloneEndpoint?(cloneId: string): CloneEndpoint;
}

export interface Engine extends CloneEngine {
  /** Throws MissingToolError naming what to install. */
  checkPrerequisites(): Promise<void>;
  /** Check a source before anything is created: a clear SourceError when it is not usable. */
  probeSource(source: SourceSpec): Promise<{ description: string; version?: string }>;
  /** Restore the sources into a new data area under `mountPath`; leaves the server stopped. */
  restore(sources: SourceSpec[], mountPath: string, reporter: Reporter): Promise<EngineInfo>;
  /** Databases, tables, columns, row estimates and sizes, for the manifest. */
  inventory(server: RunningServer): Promise<DatabaseInfo[]>;
  /**
   * Make the data fit to publish: stats recomputed, no dead tuples, no old WAL/log. Server stopped after.
   * `full`: rewrite every table (VACUUM FULL) so no old row version survives — pass it after masking.
   */
  scrub(server: RunningServer, reporter: Reporter, opts?: { full?: boolean; jobs?: number }): Promise<void>;
  /**
   * The staging disk's virtual size for these sources, checked on the way (before any disk exists).
   * `requested`: the caller's size (--disk-size); each engine says whether it is taken as is or as a floor.
   */
  stagingSize(sources: SourceSpec[], requested: number | undefined, reporter: Reporter): Promise<number>;
  /** Copy the data area from one mounted disk to another, leaving behind everything not needed. */
  copyFresh(fromMount: string, toMount: string, reporter: Reporter): Promise<void>;
  /**
   * After copyFresh, with the staging disk gone: what makes the fresh disk a complete image before it
   * is sealed (SQL Server: attach there with a rebuilt log, write the layout, detach). `moved`: told
   * at once when the fresh disk is remounted, so the build's cleanup unmounts the right attachment.
   * Returns the disk to seal. Absent: the fresh disk is sealed as copyFresh left it.
   */
  finishFresh?(fresh: StagingDisk, at: FreshDiskContext, reporter: Reporter): Promise<StagingDisk>;
  /** Engine info of a data area already on disk (server not running). */
  describe(mountPath: string): Promise<EngineInfo>;
}

/** What finishFresh may use: the build's disk driver and the staging disk's (now free) mount folder. */
export interface FreshDiskContext {
  driver: DiskDriver;
  stagingMount: string;
  moved(disk: StagingDisk): void;
}
