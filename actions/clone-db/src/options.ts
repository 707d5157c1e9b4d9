// clone-db's inputs, read and checked before anything is created.
import { UsageError } from "../../../packages/core/src/errors.js";
import { parseImageRef } from "../../../packages/core/src/image/index.js";
import { dbcloneHome, DEFAULT_TTL } from "../../../packages/core/src/util/index.js";
import type { Durability } from "../../../packages/core/src/engine/index.js";
import { ON_IMAGE_CHANGE, type OnImageChange } from "../../../packages/core/src/clones/index.js";
import { defaultCloneLabels, ownershipLabels, repositoryScope } from "../../shared/github-context.js";
import { optionalInput, parseBoolean, parseChoice, parseLabels, parseSeconds, parseTtlInput, requiredInput } from "../../shared/inputs.js";
import { repositoryLocation } from "../../shared/repository.js";
import { Inputs } from "./constants.js";
import { readRuntimeInputs, type RuntimeInputs } from "./runtime-inputs.js";

export interface CloneInputs extends RuntimeInputs {
  ref: string;
  /** true when the version is to be chosen by commit (version: auto). */
  autoVersion: boolean;
  name?: string;
  /** undefined: ttl none, the clone lives until torn down. */
  ttlSeconds: number | undefined;
  durability: Durability;
  keep: boolean;
  timeoutMs: number;
  reset: boolean;
  onImageChange: OnImageChange;
  /** The database connection-string (and export-env) points at; default the image's first. */
  database?: string;
  /** Export DATABASE_URL and PG* to the job's later steps. */
  exportEnv: boolean;
  /** Labels a named clone must carry to be reused or replaced: this repository's. */
  scope?: Record<string, string>;
  comment: boolean;
  /** Clone an image published unmasked even on pull_request events. */
  allowUnmasked: boolean;
  schemaDiff: boolean;
  repositoryLocation: string;
  labels: Record<string, string>;
  home: string;
}

export function readCloneInputs(): CloneInputs {
  const { ref, autoVersion } = imageAndVersion(requiredInput(Inputs.Image), optionalInput(Inputs.Version));
  return {
    ref,
    autoVersion,
    name: optionalInput(Inputs.Name),
    ttlSeconds: parseTtlInput(optionalInput(Inputs.Ttl) ?? DEFAULT_TTL, Inputs.Ttl),
    durability: parseChoice(optionalInput(Inputs.Durability) ?? "ephemeral", Inputs.Durability, ["ephemeral", "durable"] as const),
    keep: parseBoolean(optionalInput(Inputs.Keep), Inputs.Keep, false),
    timeoutMs: parseSeconds(optionalInput(Inputs.Timeout) ?? "120", Inputs.Timeout) * 1000,
    reset: parseBoolean(optionalInput(Inputs.Reset), Inputs.Reset, false),
    onImageChange: parseChoice(optionalInput(Inputs.OnImageChange) ?? "keep", Inputs.OnImageChange, ON_IMAGE_CHANGE),
    database: optionalInput(Inputs.Database),
    exportEnv: parseBoolean(optionalInput(Inputs.ExportEnv), Inputs.ExportEnv, false),
    scope: repositoryScope(),
    ...readRuntimeInputs(),
    comment: parseBoolean(optionalInput(Inputs.Comment), Inputs.Comment, false),
    allowUnmasked: parseBoolean(optionalInput(Inputs.AllowUnmasked), Inputs.AllowUnmasked, false),
    schemaDiff: parseBoolean(optionalInput(Inputs.SchemaDiff), Inputs.SchemaDiff, false),
    repositoryLocation: repositoryLocation(optionalInput(Inputs.Repository)),
    // The run's branch / pr / run labels always apply (teardown on PR close finds clones by them);
    // labels given in the workflow add to them or override them.
    // runner and github-repository come last: they say where the clone lives and who may touch it.
    labels: { ...defaultCloneLabels(), ...parseLabels(optionalInput(Inputs.Labels), Inputs.Labels), ...ownershipLabels() },
    home: dbcloneHome(),
  };
}

/** `image: shop` + `version: auto|v1|latest`, or `image: shop:v1` alone; never both. */
export function imageAndVersion(image: string, version: string | undefined): { ref: string; autoVersion: boolean } {
  if (version === undefined) return { ref: image, autoVersion: false };
  const parsed = parseImageRef(image);
  if (parsed.version || parsed.digest) {
    throw new UsageError(
      `Inputs '${Inputs.Image}' (${image}) and '${Inputs.Version}' (${version}) both name a version: give the bare image name with '${Inputs.Version}', or only '${Inputs.Image}'.`,
    );
  }
  if (version === "auto") return { ref: image, autoVersion: true };
  return { ref: `${image}:${version}`, autoVersion: false };
}
