// clone-db's inputs, read and checked before anything is created.
import { dbcloneHome } from "../../../packages/core/src/util/paths.js";
import type { Durability } from "../../../packages/core/src/engine/types.js";
import { defaultCloneLabels } from "../../shared/github-context.js";
import { optionalInput, parseBoolean, parseChoice, parseDuration, parseLabels, parseSeconds, requiredInput } from "../../shared/inputs.js";
import { repositoryLocation } from "../../shared/repository.js";
import { Inputs } from "./constants.js";

export interface CloneInputs {
  ref: string;
  name?: string;
  ttlSeconds: number;
  durability: Durability;
  keep: boolean;
  timeoutMs: number;
  reset: boolean;
  repositoryLocation: string;
  labels: Record<string, string>;
  home: string;
}

export function readCloneInputs(): CloneInputs {
  return {
    ref: requiredInput(Inputs.Image),
    name: optionalInput(Inputs.Name),
    ttlSeconds: parseDuration(optionalInput(Inputs.Ttl) ?? "2h", Inputs.Ttl),
    durability: parseChoice(optionalInput(Inputs.Durability) ?? "ephemeral", Inputs.Durability, ["ephemeral", "durable"] as const),
    keep: parseBoolean(optionalInput(Inputs.Keep), Inputs.Keep, false),
    timeoutMs: parseSeconds(optionalInput(Inputs.Timeout) ?? "120", Inputs.Timeout) * 1000,
    reset: parseBoolean(optionalInput(Inputs.Reset), Inputs.Reset, false),
    repositoryLocation: repositoryLocation(optionalInput(Inputs.Repository)),
    // The run's branch / pr / run labels always apply (teardown on PR close finds clones by them);
    // labels given in the workflow add to them or override them.
    labels: { ...defaultCloneLabels(), ...parseLabels(optionalInput(Inputs.Labels), Inputs.Labels) },
    home: dbcloneHome(),
  };
}
