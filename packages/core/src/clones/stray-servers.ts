// Servers no record names: a `dbclone clone` killed after spawning PostgreSQL but before recording
// its pid leaves a postmaster running on the clone's mount, which would keep the filesystem busy
// (or, unmounted lazily, run on forever). Found and proved by util/postmasters.ts, stopped here,
// before anything under the directory is unmounted.
import { stopPostgres } from "../engine/postgres/launch.js";
import type { Reporter } from "../reporter.js";
import { isPostmasterUnder, type Postmaster, postmastersUnder } from "../util/postmasters.js";

/** A fast shutdown (SIGINT) gets this long before SIGQUIT, then SIGKILL of its process group. */
const GRACE_MS = 15_000;

/**
 * Stop every proved postmaster whose data directory lies under `dir`, except those `keep` claims
 * (a clone whose record is alive). Returns what was stopped, as `server <pid>`.
 */
export async function stopStrayServers(dir: string, reporter: Reporter, keep: (p: Postmaster) => boolean = () => false): Promise<string[]> {
  const stopped: string[] = [];
  for (const pm of await postmastersUnder(dir)) {
    if (keep(pm)) continue;
    // Proved again right before the signal: the pid must still be that server.
    if (!(await isPostmasterUnder(pm.pid, dir))) continue;
    reporter.info(`Stopping server ${pm.pid} over ${pm.dataDir}: no record names it (its process was killed before recording it).`);
    await stopPostgres(pm.pid, { fast: true, graceMs: GRACE_MS });
    stopped.push(`server ${pm.pid}`);
  }
  return stopped;
}
