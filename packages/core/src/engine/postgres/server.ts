// start()/stop() of a server over a clone's (or staging) data area.
import { chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../../errors.js";
import { silentReporter, type Reporter } from "../../reporter.js";
import type { RunningServer, StartOptions } from "../types.js";
import { findBinaries, majorOf } from "./binaries.js";
import { commonSettings, durabilitySettings, hbaContents, writeRunConfig, writeServerFile } from "./config.js";
import { dataDirOf, readEngineFile } from "./engineFile.js";
import { serverLaunchOf, stopPostgres, type LaunchSpec } from "./launch.js";
import { startHostProcess } from "../../runtime/host.js";
import { assertImageDataDir } from "./dataDirLinks.js";
import { assertReachable, giveToServerUser } from "./osUser.js";
import { dropReadySession } from "./ready-session.js";

/** Linux limits a unix socket path to 107 bytes. */
const MAX_SOCKET_PATH = 107;

/** The server's argv, settings and files (hba, run dir), made once whatever runtime runs it. */
export interface PreparedServer {
  spec: LaunchSpec;
  server: Omit<RunningServer, "pid">;
  version: string;
}

export async function prepareServer(mountPath: string, opts: StartOptions): Promise<PreparedServer> {
  const dataDir = dataDirOf(mountPath);
  const host = opts.host ?? "127.0.0.1";
  const runDir = path.resolve(opts.runDir);
  if (Buffer.byteLength(path.join(runDir, `.s.PGSQL.${opts.port}`)) > MAX_SOCKET_PATH) {
    throw new UsageError(`The run directory ${runDir} is too long for a unix socket path (${MAX_SOCKET_PATH} bytes max); use a shorter one.`);
  }
  // Independent of each other, so run together (each is a few file-system calls); all of them
  // settle before anything else happens, and any failure refuses the start.
  const [read, ...checks] = await Promise.allSettled([
    readEngineFile(mountPath),
    prepareRunDir(runDir),
    assertReachable(path.join(dataDir, "PG_VERSION")),
    assertImageDataDir(mountPath, { clone: opts.cloneId !== undefined }),
  ]);
  for (const r of [read, ...checks]) if (r.status === "rejected") throw r.reason;
  const info = (read as PromiseFulfilledResult<Awaited<ReturnType<typeof readEngineFile>>>).value;
  const bins = await findBinaries(majorOf(info.version));
  const hbaFile = path.join(runDir, "pg_hba.conf");
  await writeServerFile(hbaFile, hbaContents(info.adminUser, host, opts.listenAll));

  const settings: Record<string, string> = {
    ...commonSettings(dataDir, runDir, hbaFile),
    listen_addresses: opts.listenAll ? "*" : host,
    ...durabilitySettings(opts.durability ?? "ephemeral"),
  };
  if (opts.cloneId) {
    settings.cluster_name = opts.cloneId.replace(/[^\x20-\x7e]/g, "_");
    settings["dbclone.clone_id"] = opts.cloneId;
  }
  if (opts.imageDigest) settings["dbclone.image_digest"] = opts.imageDigest;
  const spec: LaunchSpec = {
    bins,
    dataDir,
    socketDir: runDir,
    port: opts.port,
    settings,
    logFile: path.join(runDir, "postgres.log"),
    connectUser: info.adminUser,
    hba: { adminUser: info.adminUser, host },
    timeoutMs: opts.timeoutMs ?? 60_000,
    ...(opts.readyDatabase ? { readyDatabase: opts.readyDatabase } : {}),
  };
  return { spec, server: { host, port: opts.port, socketDir: runDir, adminUser: info.adminUser }, version: info.version };
}

/** The private run directory (socket, log, our config files), the server user's alone. */
async function prepareRunDir(runDir: string): Promise<void> {
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  await chmod(runDir, 0o700);
  await giveToServerUser(runDir);
  await assertReachable(path.join(runDir, "postgres.log"));
  await writeRunConfig(runDir);
}

export async function startServer(mountPath: string, opts: StartOptions, reporter: Reporter = silentReporter): Promise<RunningServer> {
  const { spec, server, version } = await prepareServer(mountPath, opts);
  const started = performance.now();
  let running: RunningServer;
  if (!opts.runtime || opts.runtime.kind === "host") {
    // Not launchPostgres: it would write the run directory's config files a second time.
    running = { ...server, pid: (await startHostProcess(serverLaunchOf(spec), { timeoutMs: spec.timeoutMs })).pid };
  } else {
    // The container sees the mount (data + engine file) and the run dir at their host paths.
    const launch = serverLaunchOf(spec, [path.resolve(mountPath), spec.socketDir]);
    const handle = await opts.runtime.start(launch, {
      timeoutMs: spec.timeoutMs,
      labels: opts.runtimeLabels,
      name: opts.cloneId ? `dbclone-${opts.cloneId}` : undefined,
      reporter,
    });
    running = { ...server, pid: handle.pid ?? 0, containerId: handle.containerId };
  }
  const where = running.containerId ? `container ${running.containerId.slice(0, 12)}` : `pid ${running.pid}`;
  reporter.debug(`PostgreSQL ${version} ready on ${server.host}:${opts.port} in ${Math.round(performance.now() - started)} ms (${where})`);
  return running;
}

/** Fast shutdown by default (sessions rolled back); `fast: false` waits for sessions to end. */
export async function stopServer(server: RunningServer, opts: { fast?: boolean } = {}): Promise<void> {
  await dropReadySession(server);
  await stopPostgres(server.pid, { fast: opts.fast !== false });
}
