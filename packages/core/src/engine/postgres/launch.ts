// Runs the `postgres` binary directly and waits until it answers a query. Not `pg_ctl -w`: it
// polls every 100 ms, and a clone must be ready in about a tenth of that. The argv, settings and
// readiness check are made once here (serverLaunchOf); a Runtime runs them as a host process
// (runtime/host.ts, the default) or in a container (runtime/docker).
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { logTail, startHostProcess, stopHostProcess } from "../../runtime/host.js";
import type { ServerLaunch } from "../../runtime/types.js";
import type { PgBinaries } from "./binaries.js";
import { CONFIG_FILE, hbaContents, writeRunConfig, writeServerFile } from "./config.js";
import { serverUser } from "./osUser.js";
import { ADMIN_SESSION, CATALOG_ONLY_SESSION } from "./client.js";
import { parkReadySession } from "./ready-session.js";

export { logTail };

export interface LaunchSpec {
  bins: PgBinaries;
  dataDir: string;
  /** Private unix-socket directory, already owned by the server user. */
  socketDir: string;
  port: number;
  /** Passed as `-c name=value` (argv, never a shell string). */
  settings: Record<string, string>;
  logFile: string;
  /** Role used for the readiness query over the socket. */
  connectUser: string;
  /** What the hba file was written from, so a bridged container can narrow it to its gateway. */
  hba?: { adminUser: string; host: string };
  timeoutMs: number;
  /**
   * The database the readiness query connects to as a catalog-only admin session, kept for the
   * clone's login (ready-session.ts); absent: "postgres", closed at once.
   */
  readyDatabase?: string;
}

const SIGNALS: ServerLaunch["signals"] = { fast: "SIGINT", smart: "SIGTERM" };

/** `postgres -D … -p … -c k=v …`: the same argv on the host and in a container. */
export function postgresArgs(spec: Pick<LaunchSpec, "dataDir" | "port" | "settings">): string[] {
  const args = ["-D", spec.dataDir, "-p", String(spec.port)];
  for (const [k, v] of Object.entries(spec.settings)) args.push("-c", `${k}=${v}`);
  return args;
}

/** What any runtime needs to run this server; `paths` are the directories it must see. */
export function serverLaunchOf(spec: LaunchSpec, paths: string[] = [spec.dataDir, spec.socketDir]): ServerLaunch {
  const user = serverUser();
  const owner = statSync(spec.dataDir);
  const socket = path.join(spec.socketDir, `.s.PGSQL.${spec.port}`);
  return {
    program: spec.bins.bin("postgres"),
    // The official postgres:<major> images (Debian-based) keep it where Debian does.
    containerProgram: `/usr/lib/postgresql/${spec.bins.major}/bin/postgres`,
    defaultImage: `postgres:${spec.bins.major}`,
    args: postgresArgs(spec),
    listenAddressSetting: "listen_addresses",
    admitOnly: spec.hba ? async (peer) => writeServerFile(spec.settings.hba_file!, hbaContents(spec.hba!.adminUser, spec.hba!.host, true, peer)) : undefined,
    env: {}, // the runtime's allow-list only: no PG* that could redirect it, no runner secrets
    cwd: spec.dataDir,
    uid: user.uid,
    gid: user.gid,
    switchUser: Boolean(user.asUser),
    dataOwner: { uid: owner.uid, gid: owner.gid },
    paths,
    port: spec.port,
    logFile: spec.logFile,
    ready: async () => {
      if (existsSync(socket)) return answers(spec);
      // Still starting: load the client library now (~15 ms in a bundle, where it loads on first
      // use) while we wait anyway, rather than once the server is up and we are waiting for it.
      void pg.Client;
      return false;
    },
    describe: `PostgreSQL over ${spec.dataDir}`,
    hintFor: (log) =>
      /Address already in use|could not create any TCP\/IP sockets/.test(log)
        ? ` Port ${spec.port} is already in use on this host; choose another port or stop what holds it.`
        : "",
    signals: SIGNALS,
  };
}

/** Start postgres as a host process; resolves with its pid once `SELECT 1` answered over the socket. */
export async function launchPostgres(spec: LaunchSpec): Promise<{ pid: number }> {
  if (spec.settings.config_file === path.join(spec.socketDir, CONFIG_FILE)) await writeRunConfig(spec.socketDir);
  return startHostProcess(serverLaunchOf(spec), { timeoutMs: spec.timeoutMs });
}

/** True when the server ran a query; false while it is still starting. */
export async function answers(spec: Pick<LaunchSpec, "socketDir" | "port" | "connectUser" | "readyDatabase">): Promise<boolean> {
  const keep = spec.readyDatabase;
  const client = new pg.Client({
    host: spec.socketDir,
    port: spec.port,
    user: spec.connectUser,
    database: keep ?? "postgres",
    options: keep ? CATALOG_ONLY_SESSION : ADMIN_SESSION,
  });
  let parked = false;
  try {
    await client.connect();
    await client.query("SELECT 1");
    if (keep) {
      parkReadySession(spec.socketDir, spec.port, keep, client);
      parked = true;
    }
    return true;
  } catch (e) {
    // A server-side error other than "starting up" (57P03) — e.g. no database "postgres", or an
    // unknown role — means the server answered: it is ready. Socket errors mean not yet.
    return e instanceof pg.DatabaseError && e.code !== "57P03";
  } finally {
    if (!parked) await client.end().catch(() => {});
  }
}

/**
 * Stop a postmaster by pid: SIGINT (fast: roll back sessions, clean shutdown) or SIGTERM (smart:
 * wait for sessions); after graceMs SIGQUIT, then SIGKILL of the whole process group.
 * Tolerates a pid that is already gone.
 */
export async function stopPostgres(pid: number, opts: { fast?: boolean; graceMs?: number } = {}): Promise<void> {
  await stopHostProcess(pid, SIGNALS, opts);
}
