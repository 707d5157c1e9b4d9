// The build's sources from from-dump / from-datadir / from-server / from-backup, by the one grammar in
// core (build/source-inputs.ts); server URLs are masked before anything can print them.
import * as core from "@actions/core";
import { sourcesFromInputs, type SourceInputNames } from "../../../packages/core/src/build/index.js";
import type { SourceSpec } from "../../../packages/core/src/engine/index.js";
import { multilineInput } from "../../shared/inputs.js";
import { Inputs } from "./constants.js";

/** The action's spelling of each source field: its input names (it has no engine or PITR inputs). */
const ACTION_SOURCE_NAMES: SourceInputNames = {
  fromDump: `'${Inputs.FromDump}'`,
  fromDatadir: `'${Inputs.FromDatadir}'`,
  fromServer: `'${Inputs.FromServer}'`,
  fromBackup: `'${Inputs.FromBackup}'`,
  differential: `'${Inputs.DifferentialBackup}'`,
  logs: `'${Inputs.LogBackups}'`,
};

export function readSources(): SourceSpec[] {
  const differential = core.getInput(Inputs.DifferentialBackup).trim();
  const servers = multilineInput(Inputs.FromServer);
  servers.forEach(maskServerUrl); // before any check: nothing may print one unmasked
  return sourcesFromInputs(
    {
      fromDump: multilineInput(Inputs.FromDump),
      fromDatadir: multilineInput(Inputs.FromDatadir),
      fromServer: servers,
      fromBackup: multilineInput(Inputs.FromBackup),
      ...(differential ? { differential } : {}),
      logs: multilineInput(Inputs.LogBackups),
    },
    ACTION_SOURCE_NAMES,
  );
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
