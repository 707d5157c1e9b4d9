// Proof that the clone's server shut down cleanly before its disk is published: the control
// file must say "shut down" (a crash or an immediate stop would leave "in production").
import { findBinaries, majorOf } from "../engine/postgres/binaries.js";
import { dataDirOf } from "../engine/postgres/engineFile.js";
import { CloneError } from "../errors.js";
import { childEnv } from "../runtime/childEnv.js";
import { run } from "../runtime/exec.js";

export async function assertCleanShutdown(mountPath: string, engineVersion: string): Promise<void> {
  const bins = await findBinaries(majorOf(engineVersion));
  const { stdout } = await run(bins.bin("pg_controldata"), [dataDirOf(mountPath)], { env: childEnv({ LC_ALL: "C" }), timeoutMs: 30_000 });
  const state = /Database cluster state:\s*(.+)/.exec(stdout)?.[1]?.trim();
  if (state !== "shut down") {
    throw new CloneError(`the clone's server did not shut down cleanly (cluster state '${state ?? "unknown"}'), so its data is not published; tear the clone down and try again`);
  }
}
