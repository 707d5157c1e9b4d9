// The clone's own login, and the identity check made before its connection is handed out.
import pg from "pg";
import { CloneError, DbcloneError, UsageError } from "../../errors.js";
import type { Credentials, RunningServer } from "../types.js";
import { withAdmin } from "./client.js";
import { portReachesSession } from "./port-proof.js";
import { takeReadySession } from "./ready-session.js";
import { takeVerifier } from "./scram.js";
import { grantStatementsSql, runFormatted } from "./grants.js";
import { joinCloneLoginGroup, probeCloneLogin, type CloneLoginProbe } from "./login-group.js";

/** postgresql://user[:password]@host:port/db; without a password when `password` is undefined (for display). */
export function connectionString(user: string, password: string | undefined, host: string, port: number, database: string): string {
  const h = host.includes(":") ? `[${host}]` : host;
  const secret = password === undefined ? "" : `:${encodeURIComponent(password)}`;
  return `postgresql://${encodeURIComponent(user)}${secret}@${h}:${port}/${encodeURIComponent(database)}`;
}

/**
 * Least privilege: the login is no superuser and cannot create roles or databases or replicate.
 * It may do what an application and its migrations do: read/write every table, use sequences,
 * create objects in every user schema. Where the restored data keeps its original owners
 * (data-directory and server sources), it is made a member of those owner roles — only roles that
 * are harmless, themselves and through every role they are a member of (no SUPERUSER, CREATEROLE,
 * REPLICATION, BYPASSRLS, no server-program or server-file role) — so ALTER TABLE on
 * owned tables works too. Where the image has its login group (login-group.ts), the login is
 * made its member instead, in one statement: the group holds those same grants.
 */
export async function createLogin(server: RunningServer, databases: string[], opts: { user: string; password: string }): Promise<Credentials> {
  return makeLogin(server, databases, opts);
}

/** What a new clone's server must prove before its login exists (createVerifiedLogin). */
export interface CloneIdentity {
  cloneId: string;
  imageDigest: string;
}

/**
 * A new clone's login, handed out only once its server proved it is this clone of this image AND that
 * it is what answers on host:port, with no credential ever sent to host:port: the settings are read
 * first, over the private socket (before the login exists), and after the login is made, on the same
 * admin connection, a cancel request that carries no login proves the port (port-proof.ts), as late
 * as possible before the clone is handed out. One connection instead of the two of createLogin +
 * verifyIdentity. A refused clone's login dies with its server (the session tears it down).
 */
export async function createVerifiedLogin(
  server: RunningServer,
  databases: string[],
  opts: { user: string; password: string },
  identity: CloneIdentity,
): Promise<Credentials> {
  try {
    return await makeLogin(server, databases, opts, {
      first: (seen) => proveSettings(seen, server, identity),
      last: (c) => provePort(c, server, identity),
    });
  } catch (e) {
    if (e instanceof DbcloneError) throw e;
    // The private socket does not answer (the server died, or is not ours to reach): no proof.
    throw new CloneError(`Could not prove that the server on port ${server.port} is clone ${identity.cloneId}: ${(e as Error).message}. Recreate the clone.`, {
      cause: e,
    });
  }
}

function proveSettings(seen: CloneLoginProbe, server: RunningServer, identity: CloneIdentity): void {
  if (seen.id !== identity.cloneId || seen.digest !== identity.imageDigest) {
    throw new CloneError(
      `The server on port ${server.port} is not clone ${identity.cloneId} of image ${identity.imageDigest} (it reports clone "${seen.id ?? "none"}", image "${seen.digest ?? "none"}"); recreate the clone.`,
    );
  }
}

/** The last use of the login's admin session (catalog-only: no statement timeout): withAdmin ends it right after. */
async function provePort(c: pg.Client, server: RunningServer, identity: CloneIdentity): Promise<void> {
  if (!(await portReachesSession(c, server.host, server.port, { sessionEnds: true, noStatementTimeout: true }))) {
    throw new CloneError(
      `The server on port ${server.port} is not clone ${identity.cloneId}: ${server.host}:${server.port} does not reach the clone's server (a cancel request with its admin session's key had no effect). Another process may have taken the port; recreate the clone.`,
    );
  }
}

async function makeLogin(
  server: RunningServer,
  databases: string[],
  opts: { user: string; password: string },
  hooks: { first?: (seen: CloneLoginProbe) => void; last?: (c: pg.Client) => Promise<void> } = {},
): Promise<Credentials> {
  if (databases.length === 0) throw new UsageError("createLogin needs at least one database.");
  const { user, password } = opts;
  const deriving = takeVerifier(password); // a verifier, never the password (prepared while the server started)
  deriving.catch(() => undefined); // awaited below, once connected
  let verifier = "";
  // One admin connection per database (the first also makes the role): each connection is a
  // backend the clone's wait for ready pays for. The first database's session may be the one that
  // answered the readiness query (same socket, same options).
  for (const [i, db] of databases.entries()) {
    const grouped = await withAdmin(
      server,
      db,
      async (c) => {
        if (i === 0) {
          // The server's identity and the group's statement in one round trip; the identity is
          // proved before anything is made.
          verifier = await deriving;
          const probe = await probeCloneLogin(c, user, verifier);
          hooks.first?.(probe);
          // The group's grants are in every database already: one statement, one database.
          if (probe.joinStatement) {
            await joinCloneLoginGroup(c, probe.joinStatement);
            await hooks.last?.(c);
            return true;
          }
        }
        // The role (first database only: roles are cluster-wide) and its grants in `db`, in one round trip
        // to list them and one to run them (one implicit transaction: all or nothing).
        await runFormatted(c, grantStatementsSql(i === 0 ? "login" : "none"), [user, db, ...(i === 0 ? [verifier] : [])]);
        if (i === databases.length - 1) await hooks.last?.(c);
        return false;
      },
      { catalogOnly: true, session: i === 0 ? takeReadySession(server, db) : undefined },
    );
    if (grouped) break;
  }
  return {
    user,
    password,
    host: server.host,
    port: server.port,
    databases,
    connectionString: connectionString(user, password, server.host, server.port, databases[0]!),
  };
}

/** Connect over TCP as the login and prove the server is this clone of this image. */
export async function verifyIdentity(creds: Credentials, cloneId: string, imageDigest: string): Promise<void> {
  const client = new pg.Client({
    host: creds.host,
    port: creds.port,
    user: creds.user,
    password: creds.password,
    database: creds.databases[0],
    connectionTimeoutMillis: 10_000,
  });
  let seen: { id: string | null; digest: string | null };
  try {
    await client.connect();
    const r = await client.query<{ id: string | null; digest: string | null }>(
      "SELECT current_setting('dbclone.clone_id', true) AS id, current_setting('dbclone.image_digest', true) AS digest",
    );
    seen = r.rows[0]!;
  } catch (e) {
    throw new CloneError(
      `Could not log in to the server on port ${creds.port} as ${creds.user}: ${(e as Error).message}. It is not clone ${cloneId}, or it is not running.`,
      { cause: e },
    );
  } finally {
    await client.end().catch(() => {});
  }
  if (seen.id !== cloneId || seen.digest !== imageDigest) {
    throw new CloneError(
      `The server on port ${creds.port} is not clone ${cloneId} of image ${imageDigest} (it reports clone "${seen.id ?? "none"}", image "${seen.digest ?? "none"}"). Another process may have taken the port; recreate the clone.`,
    );
  }
}
