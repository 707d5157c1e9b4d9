// Proof, without any credential, that what answers on host:port is the server behind our private
// socket: only that server can cancel a query of the admin session we hold over the socket, because
// the session's cancel key (backend pid + a random secret) was told to us alone, over that socket.
// A CancelRequest carries nothing but that key, so a foreign process on the port learns no login;
// PostgreSQL takes a CancelRequest before any authentication (pg_hba does not apply to it).
import net from "node:net";
import type pg from "pg";

/** The protocol's CancelRequest code (1234 << 16 | 5678). */
const CANCEL_REQUEST_CODE = 80877102;
/** A cancel that arrives before the backend runs the query is dropped by the server: sent again at this pace. */
const RESEND_MS = 3;

export interface PortProofOptions {
  /** Give up (the port is someone else's) after this long without our query being cancelled. */
  timeoutMs?: number;
  /**
   * The caller ends the session right after the proof (the clone's login does): return once the
   * sleep is cancelled, dropping the other cancels still in flight instead of waiting for each to
   * close and absorbing a late one. A late cancel can only reach the session while it idles or
   * terminates, where PostgreSQL ignores it.
   */
  sessionEnds?: boolean;
  /**
   * The session was started with statement_timeout=0 in its startup options (CATALOG_ONLY_SESSION),
   * which outrank the image's role and database settings and the caller's PGOPTIONS: no SET first.
   */
  noStatementTimeout?: boolean;
}

/**
 * True when a CancelRequest for `admin`'s session, sent to host:port, cancelled the query that
 * session runs; false when none did within the timeout (a foreign server, or nothing, is there).
 */
export async function portReachesSession(admin: pg.Client, host: string, port: number, opts: PortProofOptions = {}): Promise<boolean> {
  const key = cancelKeyOf(admin);
  const seconds = (opts.timeoutMs ?? 5000) / 1000;
  let settled = false;
  // Only our cancel may end the sleep: a statement_timeout (from the image's role or database
  // settings, or PGOPTIONS) raises the same query_canceled and would pass with nothing on the port.
  if (!opts.noStatementTimeout) await admin.query("SET statement_timeout = 0");
  const sleeping = admin.query("SELECT pg_catalog.pg_sleep($1)", [seconds]).then(
    () => false,
    (e: { code?: string }) => {
      if (e?.code === "57014") return true; // query_canceled: the port reached this session's server
      throw e;
    },
  );
  void sleeping
    .finally(() => {
      settled = true;
    })
    .catch(() => undefined);
  const inFlight = new Set<net.Socket>();
  const resending = (async () => {
    while (!settled) {
      await sendCancel(host, port, key, inFlight);
      if (!settled) await new Promise((r) => setTimeout(r, RESEND_MS));
    }
  })();
  let reached: boolean;
  try {
    reached = await sleeping;
  } finally {
    if (opts.sessionEnds) for (const socket of inFlight) socket.destroy();
    await resending;
  }
  if (opts.sessionEnds) return reached;
  // Every cancel sent has been handled (its connection closed after the server signalled); one that
  // landed after the first must not cancel the caller's next statement: a no-op absorbs it.
  await admin.query("SELECT 1").catch((e: { code?: string }) => {
    if (e?.code !== "57014") throw e;
  });
  return reached;
}

function cancelKeyOf(admin: pg.Client): { pid: number; secret: number } {
  const { processID: pid, secretKey: secret } = admin as unknown as { processID?: number; secretKey?: number };
  if (typeof pid !== "number" || typeof secret !== "number") throw new Error("the admin session has no cancel key (not connected)");
  return { pid, secret };
}

/** One CancelRequest over a new TCP connection; resolves once it was sent, refused or timed out (never rejects). */
function sendCancel(host: string, port: number, key: { pid: number; secret: number }, inFlight: Set<net.Socket>): Promise<void> {
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(key.pid, 8);
  packet.writeInt32BE(key.secret, 12);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    inFlight.add(socket);
    socket.setTimeout(2000, () => socket.destroy());
    socket.once("connect", () => socket.end(packet));
    socket.once("error", () => undefined);
    socket.once("close", () => {
      inFlight.delete(socket);
      resolve();
    });
  });
}
