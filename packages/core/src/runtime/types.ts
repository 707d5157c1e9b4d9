// Where a clone's database server runs: a host process, or a container. The engine produces one
// ServerLaunch (program, argv, settings already in the argv, files written); a Runtime runs it.
import type { Reporter } from "../reporter.js";

export type RuntimeKind = "host" | "docker";

/** What an engine wants run, produced once whatever runs it. */
export interface ServerLaunch {
  /** Program as the host sees it (host runtime). */
  program: string;
  /** Program inside a container image made for this engine (e.g. the official postgres image). */
  containerProgram: string;
  /** The engine's official image for this server version, e.g. "postgres:15". */
  defaultImage: string;
  args: string[];
  /**
   * Bridged container: admit connections only from `peer` (the bridge's gateway, through which
   * the published port arrives). Called before the container starts.
   */
  admitOnly?: (peer: string) => Promise<void>;
  /**
   * The `-c` setting that names the addresses to listen on (PostgreSQL: listen_addresses). In a
   * bridged container it is set to the container's own address, known only once it runs.
   */
  listenAddressSetting?: string;
  /** Variables this program needs beyond the allow-list of runtime/childEnv.ts (usually none). */
  env: Record<string, string>;
  cwd: string;
  /** The OS user a host process runs as (we are root: the server's own account). */
  uid: number;
  gid: number;
  /** Set when we are root and must switch to uid/gid for a host process. */
  switchUser: boolean;
  /** Owner of the data files: a container runs as this uid:gid, so the server can write them. */
  dataOwner: { uid: number; gid: number };
  /** Host directories the server reads and writes; a container bind-mounts each at the same path. */
  paths: string[];
  /** TCP port the server listens on (inside a container too: published as the same number). */
  port: number;
  /** Where a host process writes stdout/stderr (a container's go to its log). */
  logFile: string;
  /** Resolves true once the server answered a query, false while it is still starting. */
  ready(): Promise<boolean>;
  /** "PostgreSQL over /x/pgdata": names the server in errors. */
  describe: string;
  /** A hint for a failure log, e.g. "port in use"; empty when none. */
  hintFor(log: string): string;
  /** Signals for stopping: fast (roll back sessions) and smart (wait for them). */
  signals: { fast: NodeJS.Signals; smart: NodeJS.Signals };
}

export interface StartServerOptions {
  timeoutMs: number;
  /** Labels for what the runtime creates (containers): `dbclone.clone=<id>` etc. */
  labels?: Record<string, string>;
  /** A readable name for what the runtime creates (container name). */
  name?: string;
  reporter?: Reporter;
}

/** What a runtime started; enough to stop it later, also from another process (gc, teardown). */
export interface ServerHandle {
  /** Host process id (host runtime). */
  pid?: number;
  /** Container id (docker runtime). */
  containerId?: string;
}

export interface Runtime {
  readonly kind: RuntimeKind;
  /** Start the server; resolves once it answered a query. On failure nothing is left running. */
  start(launch: ServerLaunch, opts: StartServerOptions): Promise<ServerHandle>;
  /** Stop (and, for a container, remove) it; tolerates it being gone already. */
  stop(handle: ServerHandle, opts?: { fast?: boolean; graceMs?: number }): Promise<void>;
  /** True while the server runs. */
  isRunning(handle: ServerHandle): Promise<boolean>;
  /** Throw an error that says what to do when this runtime cannot run anything here (no engine). */
  checkAvailable(): Promise<void>;
}

/** Options of the docker runtime (clone-db inputs, CLI flags). */
export interface DockerRuntimeOptions {
  /** Image to run; default the engine's official image for the data's version, e.g. postgres:15. */
  image?: string;
  /** Memory limit, e.g. "512m", "2g" or bytes. */
  memory?: string | number;
  /** CPU limit, e.g. 1.5. */
  cpus?: number;
  /**
   * "bridge" (default): the container gets its own network and its port is published on the
   * clone's host address. "host": it shares the host's network (no publishing; listens on the host address).
   */
  network?: "bridge" | "host";
  /** Host paths bind-mounted read-only at the same path (e.g. a host PostgreSQL build). */
  readOnlyPaths?: string[];
  /** Pull the image when it is not there (default true). */
  pull?: boolean;
}
