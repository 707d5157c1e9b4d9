// Ports for clones' servers. Picked inside the registry lock and recorded in the same
// transaction, so two processes never hand out the same port.
import net from "node:net";
import { CloneError, UsageError } from "../errors.js";
import type { CloneRecord } from "./types.js";

/** What allocatePort needs of the registry: a locked read-modify-write over its records. */
export interface PortReservations {
  update<T>(fn: (records: CloneRecord[]) => T | Promise<T>): Promise<T>;
}

export const DEFAULT_PORT_RANGE: readonly [number, number] = [15432, 16431];

export interface PortOptions {
  /** Inclusive [min, max]; default [15432, 16431]. */
  range?: readonly [number, number];
  /** Address the server will listen on (default 127.0.0.1). */
  host?: string;
}

/** True when nothing listens on host:port right now (bind briefly, then release). */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A port not held by any record (whatever its state, 'creating' included) and free on `host`.
 * Call it inside `registry.update()` and record the port before the transaction ends.
 */
export async function pickFreePort(records: readonly CloneRecord[], opts: PortOptions = {}): Promise<number> {
  const [min, max] = opts.range ?? DEFAULT_PORT_RANGE;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
    throw new UsageError(`port range [${min}, ${max}] is not valid: give two integers 1-65535 with min <= max`);
  }
  const held = new Set(records.map((r) => r.port));
  const size = max - min + 1;
  // Start at a random offset so concurrent hosts sharing a range rarely probe the same ports first.
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const port = min + ((start + i) % size);
    if (held.has(port)) continue;
    if (await isPortFree(port, opts.host ?? "127.0.0.1")) return port;
  }
  throw new CloneError(
    `no free port in ${min}-${max} on ${opts.host ?? "127.0.0.1"}: ${held.size} are held by clones. ` +
      "Tear down clones you no longer need (dbclone teardown / dbclone gc) or widen the port range.",
  );
}

/**
 * A free port, chosen under the registry lock. It is NOT held once this returns: to hold it,
 * use `registry.reserve()`, which picks the port and writes the record in one transaction.
 */
export function allocatePort(registry: PortReservations, opts: PortOptions = {}): Promise<number> {
  return registry.update((records) => pickFreePort(records, opts));
}
