// Finds the PostgreSQL programs for the major version a data directory needs.
import { existsSync } from "node:fs";
import path from "node:path";
import { MissingToolError, SourceError } from "../../errors.js";
import { run } from "../../runtime/exec.js";

export interface PgBinaries {
  dir: string;
  major: number;
  /** Full path of one program, e.g. bin("pg_restore"). */
  bin(program: string): string;
}

const cache = new Map<string, PgBinaries>();

/** Major version of a set of binaries, from `postgres --version`. */
export async function binariesVersion(dir: string): Promise<string> {
  const { stdout } = await run(path.join(dir, "postgres"), ["--version"], { packageHint: "postgresql" });
  const m = /\(PostgreSQL\)\s+(\d+(?:\.\d+)?)/.exec(stdout);
  if (!m) throw new MissingToolError(`Could not read the version of ${dir}/postgres ("${stdout.trim()}").`);
  return m[1]!;
}

export const majorOf = (version: string): number => Number.parseInt(version, 10);

/**
 * PG_BIN, else /usr/lib/postgresql/<major>/bin, else `pg_config --bindir` — the first whose
 * `postgres` has the wanted major (any major when `wanted` is undefined).
 */
export async function findBinaries(wanted?: number, env: NodeJS.ProcessEnv = process.env): Promise<PgBinaries> {
  const key = `${wanted ?? "any"}|${env.PG_BIN ?? ""}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const found: string[] = [];
  const accept = (dir: string, major: number): PgBinaries => {
    const bins: PgBinaries = { dir, major, bin: (p) => path.join(dir, p) };
    cache.set(key, bins);
    return bins;
  };
  const tryDir = async (dir: string): Promise<PgBinaries | undefined> => {
    if (!existsSync(path.join(dir, "postgres"))) return undefined;
    const version = await binariesVersion(dir);
    found.push(`${dir} (${version})`);
    return wanted === undefined || majorOf(version) === wanted ? accept(dir, majorOf(version)) : undefined;
  };

  if (env.PG_BIN) {
    const bins = await tryDir(env.PG_BIN);
    if (bins) return bins;
  }
  // Debian/Ubuntu layout: the directory names the major, so no need to run anything (start() is timed).
  const debianMajors = wanted !== undefined ? [wanted] : [17, 16, 15, 14, 13];
  for (const m of debianMajors) {
    const dir = `/usr/lib/postgresql/${m}/bin`;
    if (existsSync(path.join(dir, "postgres"))) return accept(dir, m);
  }
  const cfg = await run("pg_config", ["--bindir"], { allowFailure: true }).catch(() => undefined);
  if (cfg?.code === 0 && cfg.stdout.trim()) {
    const bins = await tryDir(cfg.stdout.trim());
    if (bins) return bins;
  }
  if (wanted === undefined) {
    throw new MissingToolError("No PostgreSQL server binaries were found. Install them: apt-get install postgresql (or set PG_BIN).");
  }
  const seen = found.length ? ` Found only: ${found.join(", ")}.` : "";
  throw new SourceError(
    `The data needs PostgreSQL ${wanted}, but no PostgreSQL ${wanted} binaries were found.${seen} ` +
      `Install them (apt-get install postgresql-${wanted}, from apt.postgresql.org if your distribution lacks it) or set PG_BIN.`,
  );
}
