// Proof that the clone's server shut down cleanly before its disk is published: the control
// file must say "shut down" (a crash or an immediate stop would leave "in production").
import { findBinaries, majorOf } from "../engine/postgres/binaries.js";
import { dataDirOf } from "../engine/postgres/engineFile.js";
import { serverUser } from "../engine/postgres/osUser.js";
import { CloneError } from "../errors.js";
import { childEnv } from "../runtime/childEnv.js";
import { run } from "../runtime/exec.js";

export async function assertCleanShutdown(mountPath: string, engineVersion: string): Promise<void> {
  const bins = await findBinaries(majorOf(engineVersion));
  const { stdout } = await run(bins.bin("pg_controldata"), [dataDirOf(mountPath)], { env: childEnv({ LC_ALL: "C" }), timeoutMs: 30_000 });
  const state = /Database cluster state:\s*(.+)/.exec(stdout)?.[1]?.trim();
  if (state !== "shut down") {
    throw new CloneError(
      `the clone's server did not shut down cleanly (cluster state '${state ?? "unknown"}'), so its data is not published; tear the clone down and try again`,
    );
  }
}

/**
 * After the clean shutdown: a new, empty WAL (as copyFresh does at build), so old segments, which
 * hold row images and the role changes just made (password verifiers), are not published.
 */
export async function resetWal(mountPath: string, engineVersion: string): Promise<void> {
  const bins = await findBinaries(majorOf(engineVersion));
  await run(bins.bin("pg_resetwal"), ["-D", dataDirOf(mountPath)], {
    asUser: serverUser().asUser,
    cwd: "/",
    env: childEnv({ LC_ALL: "C" }),
    timeoutMs: 60_000,
  });
}
