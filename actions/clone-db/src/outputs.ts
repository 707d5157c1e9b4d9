// clone-db's outputs (secrets masked first) and, with export-env, the job environment of later steps.
import * as core from "@actions/core";
import type { CloneResult } from "../../../packages/core/src/clones/index.js";
import { Outputs } from "./constants.js";

export function setCloneOutputs(result: CloneResult, database: string | undefined): void {
  const { clone, credentials } = result;
  // Mask before the values reach any output, log line or later step.
  core.setSecret(credentials.password);
  core.setSecret(encodeURIComponent(credentials.password));
  core.setSecret(credentials.connectionString);
  core.setOutput(Outputs.CloneId, clone.id);
  core.setOutput(Outputs.Name, clone.name ?? "");
  core.setOutput(Outputs.Runner, clone.labels.runner ?? process.env.RUNNER_NAME ?? "");
  core.setOutput(Outputs.Host, credentials.host);
  core.setOutput(Outputs.Port, String(credentials.port));
  core.setOutput(Outputs.User, credentials.user);
  core.setOutput(Outputs.Password, credentials.password);
  core.setOutput(Outputs.Database, selectedDatabase(result, database));
  core.setOutput(Outputs.Databases, JSON.stringify(credentials.databases));
  core.setOutput(Outputs.ConnectionString, credentials.connectionString);
  // What the clone holds: with a kept named clone, that is not the version just asked for.
  core.setOutput(Outputs.ImageDigest, clone.image.manifestDigest);
  core.setOutput(Outputs.Version, clone.image.version);
  core.setOutput(Outputs.ImageChanged, String(result.newerImage !== undefined));
  core.setOutput(Outputs.NewerVersion, result.newerImage?.version ?? "");
  core.setOutput(Outputs.ExpiresAt, clone.expiresAt ?? "");
  core.setOutput(Outputs.Created, String(result.created));
  core.setOutput(Outputs.ReadySeconds, String(result.readySeconds));
}

export function selectedDatabase(result: CloneResult, database: string | undefined): string {
  return database ?? result.credentials.databases[0] ?? "";
}

/** export-env: true — DATABASE_URL and PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE for the job's later steps. */
export function exportConnectionEnv(result: CloneResult, database: string | undefined): void {
  const c = result.credentials;
  const vars: Record<string, string> = {
    DATABASE_URL: c.connectionString,
    PGHOST: c.host,
    PGPORT: String(c.port),
    PGUSER: c.user,
    PGPASSWORD: c.password,
    PGDATABASE: selectedDatabase(result, database),
  };
  for (const [name, value] of Object.entries(vars)) core.exportVariable(name, value);
  core.info(
    `export-env: DATABASE_URL and PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (${vars.PGDATABASE}) are set for the following steps; the secrets are masked.`,
  );
}
