// The one grammar of a build's sources, for the CLI's --from-* flags and the build-image action's
// from-* inputs: exactly one kind of source (dumps may repeat, one per database), SQL Server backup
// flags only with a full backup, PITR flags only with a base backup. Each error names the caller's
// own spelling of the fields (`--from-dump` or `'from-dump'`).
import type { SourceSpec } from "../engine/types.js";
import { UsageError } from "../errors.js";
import { engineForSources, engineKinds } from "../platform/index.js";

export interface SourceInputs {
  fromDump?: string[];
  fromDatadir?: string[];
  fromServer?: string[];
  fromBasebackup?: string[];
  /** SQL Server: one full backup; with it an optional differential, log backups and a database name. */
  fromBackup?: string[];
  differential?: string;
  logs?: string[];
  database?: string;
  /** postgres | sqlserver, when the caller lets the user name it. */
  engine?: string;
  walArchive?: string;
  recoveryTargetTime?: string;
  recoveryTargetLsn?: string;
  keepRecoveryState?: string;
}

/**
 * How the caller spells each field in an error. A caller without some input (the action has no
 * --engine or PITR inputs) leaves it out; such a field is then never named.
 */
export type SourceInputNames = Partial<Record<keyof SourceInputs, string>> & { fromDump: string; fromBackup: string };

const KINDS = ["fromDump", "fromDatadir", "fromServer", "fromBasebackup", "fromBackup"] as const;
const CHAIN = ["differential", "logs", "database"] as const;
const PITR = ["walArchive", "recoveryTargetTime", "recoveryTargetLsn", "keepRecoveryState"] as const;

const present = (v: string | string[] | undefined): boolean => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== "");
const orList = (names: string[]): string => (names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`);

/** The sources `given` names, checked; a UsageError naming the caller's fields otherwise. */
export function sourcesFromInputs(given: SourceInputs, names: SourceInputNames): SourceSpec[] {
  const name = (k: keyof SourceInputs): string => names[k] ?? k;
  const engines: string[] = engineKinds();
  if (given.engine !== undefined && !engines.includes(given.engine))
    throw new UsageError(`${name("engine")} must be ${orList(engines)}, got '${given.engine}'`);
  const sources = sourcesOf(given, names, name);
  // The engine follows from the sources (platform/ knows which); --engine only confirms it.
  const inferred = engineForSources(sources);
  if (given.engine !== undefined && given.engine !== inferred) {
    throw new UsageError(
      `${name("engine")} ${given.engine} does not fit these sources: they make a ${inferred} image (${names.fromBackup} takes SQL Server backups, the other sources are PostgreSQL's)`,
    );
  }
  return sources;
}

function sourcesOf(given: SourceInputs, names: SourceInputNames, name: (k: keyof SourceInputs) => string): SourceSpec[] {
  const fail = (message: string): never => {
    throw new UsageError(message);
  };
  const chain = CHAIN.filter((k) => present(given[k])).map(name);
  if (chain.length && !present(given.fromBackup)) fail(`${chain.join(", ")} go with ${names.fromBackup} (a SQL Server full backup)`);
  const pitr = PITR.filter((k) => present(given[k])).map(name);
  if (pitr.length && !present(given.fromBasebackup)) fail(`${pitr.join(", ")} go with ${name("fromBasebackup")}`);
  if (present(given.recoveryTargetTime) && present(given.recoveryTargetLsn)) {
    fail(`give one recovery target: ${name("recoveryTargetTime")} or ${name("recoveryTargetLsn")}`);
  }
  const kinds = KINDS.filter((k) => present(given[k]));
  const all = orList(KINDS.flatMap((k) => names[k] ?? []));
  if (kinds.length === 0) fail(`build needs a source: set one of ${all}`);
  if (kinds.length > 1) {
    fail(`set only one of ${all}: an image is built from one kind of source, got ${kinds.map(name).join(" and ")}; several dumps go in ${names.fromDump}`);
  }
  const kind = kinds[0]!;
  const values = given[kind]!;
  if (kind !== "fromDump" && values.length > 1) {
    fail(`${name(kind)}: one per image (each is a whole database cluster or backup chain); add other databases as dumps (${names.fromDump})`);
  }
  const one = values[0]!;
  switch (kind) {
    case "fromDump":
      return values.map((path) => ({ kind: "dump", path }));
    case "fromDatadir":
      return [{ kind: "datadir", path: one }];
    case "fromServer":
      return [{ kind: "server", url: one }];
    case "fromBasebackup": {
      const pitrValues = Object.fromEntries(PITR.filter((k) => present(given[k])).map((k) => [k, given[k]]));
      return [{ kind: "basebackup", path: one, ...pitrValues }];
    }
    case "fromBackup":
      return [
        {
          kind: "backup-chain",
          full: one,
          ...(present(given.differential) ? { differential: given.differential } : {}),
          ...(present(given.logs) ? { logs: given.logs } : {}),
          ...(present(given.database) ? { database: given.database } : {}),
        },
      ];
  }
}
