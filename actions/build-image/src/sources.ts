// The build's sources from from-dump / from-datadir / from-server / from-backup: exactly one kind.
import * as core from "@actions/core";
import { UsageError } from "../../../packages/core/src/errors.js";
import type { SourceSpec } from "../../../packages/core/src/engine/index.js";
import { multilineInput } from "../../shared/inputs.js";
import { Inputs } from "./constants.js";

export function readSources(): SourceSpec[] {
  const given = {
    dump: multilineInput(Inputs.FromDump),
    datadir: multilineInput(Inputs.FromDatadir),
    server: multilineInput(Inputs.FromServer),
    backup: multilineInput(Inputs.FromBackup),
  };
  const differential = core.getInput(Inputs.DifferentialBackup).trim();
  const logs = multilineInput(Inputs.LogBackups);
  if ((differential || logs.length) && given.backup.length === 0) {
    throw new UsageError(`Inputs: '${Inputs.DifferentialBackup}' and '${Inputs.LogBackups}' go with '${Inputs.FromBackup}' (a SQL Server full backup).`);
  }
  const kinds = Object.entries(given).filter(([, lines]) => lines.length > 0);
  const names = `'${Inputs.FromDump}', '${Inputs.FromDatadir}', '${Inputs.FromServer}' or '${Inputs.FromBackup}'`;
  if (kinds.length === 0) throw new UsageError(`Input: set one of ${names} to say what the image is built from.`);
  if (kinds.length > 1) throw new UsageError(`Inputs: set only one of ${names}; several dumps go on separate lines of '${Inputs.FromDump}'.`);
  given.server.forEach(maskServerUrl);
  if (given.backup.length > 1) throw new UsageError(`Input '${Inputs.FromBackup}': one full backup per image build.`);
  return [
    ...given.dump.map((path): SourceSpec => ({ kind: "dump", path })),
    ...given.datadir.map((path): SourceSpec => ({ kind: "datadir", path })),
    ...given.server.map((url): SourceSpec => ({ kind: "server", url })),
    ...given.backup.map((full): SourceSpec => ({ kind: "backup-chain", full, ...(differential ? { differential } : {}), ...(logs.length ? { logs } : {}) })),
  ];
}

/** A server URL may carry a password: keep it out of every log line before anything prints it. */
function maskServerUrl(url: string): void {
  core.setSecret(url);
  try {
    const password = new URL(url).password;
    // URL keeps the password percent-encoded; logs may show either form.
    for (const form of new Set([password, decodeURIComponent(password)])) if (form) core.setSecret(form);
  } catch {
    // not a URL (e.g. a key=value conninfo): the whole string is already masked
  }
}
