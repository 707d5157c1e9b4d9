// pg_controldata's report on a data directory, read as the server's OS user.
import { run } from "../../runtime/exec.js";
import type { PgBinaries } from "./binaries.js";
import { serverUser } from "./osUser.js";

/** `pg_controldata` as a map: "Database cluster state" → "in production". */
export async function controlData(bins: PgBinaries, dataDir: string): Promise<Map<string, string>> {
  const { stdout } = await run(bins.bin("pg_controldata"), ["-D", dataDir], { asUser: serverUser().asUser, cwd: "/" });
  const fields = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) fields.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return fields;
}
