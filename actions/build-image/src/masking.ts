// The build's masking inputs: policy file, variants, and the key (a secret input or the environment).
import * as core from "@actions/core";
import { loadPolicyFile, resolveMaskingKey, variantsToBuild, type MaskingKey, type MaskingPolicy } from "../../../packages/core/src/masking/index.js";
import { UsageError } from "../../../packages/core/src/errors.js";
import { multilineInput, optionalInput } from "../../shared/inputs.js";
import { Inputs } from "./constants.js";

export interface MaskingInputs {
  policy: MaskingPolicy;
  key: MaskingKey;
  variants: (string | undefined)[];
  /** Mapping workers and tables at once; undefined: the runner's cores. */
  jobs?: number;
}

export async function readMaskingInputs(): Promise<MaskingInputs | undefined> {
  const file = optionalInput(Inputs.Policy);
  const given = optionalInput(Inputs.MaskingKey);
  if (given) core.setSecret(given);
  const insecure = (optionalInput(Inputs.InsecureRandomKey) ?? "false").toLowerCase();
  if (!["true", "false"].includes(insecure)) throw new UsageError(`Input '${Inputs.InsecureRandomKey}' must be true or false, got '${insecure}'.`);
  const requested = multilineInput(Inputs.Variants).flatMap((l) =>
    l
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean),
  );
  if (!file) {
    if (requested.length) throw new UsageError(`Input '${Inputs.Variants}' needs '${Inputs.Policy}': variants are defined by a masking policy.`);
    return undefined;
  }
  const policy = await loadPolicyFile(file);
  const key = resolveMaskingKey({
    given,
    insecureRandomKey: insecure === "true",
    reporter: { secret: core.setSecret, warn: core.warning, info: core.info, debug: core.debug, progress: () => ({ update() {}, finish() {} }) },
  });
  const jobsInput = optionalInput(Inputs.Jobs);
  if (jobsInput !== undefined && (!/^\d+$/.test(jobsInput.trim()) || Number(jobsInput) <= 0)) {
    throw new UsageError(`Input '${Inputs.Jobs}' must be a whole number greater than zero, got '${jobsInput}'.`);
  }
  return { policy, key, variants: variantsToBuild(Object.keys(policy.variants), requested), ...(jobsInput ? { jobs: Number(jobsInput) } : {}) };
}

/** `unmasked: true` + `unmasked-reason`: publish personal data found by the PII scan on purpose. */
export function readUnmaskedInput(hasPolicy: boolean): { reason: string } | undefined {
  const flag = (optionalInput(Inputs.Unmasked) ?? "false").toLowerCase();
  if (!["true", "false"].includes(flag)) throw new UsageError(`Input '${Inputs.Unmasked}' must be true or false, got '${flag}'.`);
  const reason = optionalInput(Inputs.UnmaskedReason)?.trim();
  if (flag === "false") {
    if (reason) throw new UsageError(`Input '${Inputs.UnmaskedReason}' goes with '${Inputs.Unmasked}: true'.`);
    return undefined;
  }
  if (hasPolicy) throw new UsageError(`Input '${Inputs.Unmasked}' is for a build without a policy; this one has '${Inputs.Policy}'.`);
  if (!reason)
    throw new UsageError(
      `Input '${Inputs.Unmasked}: true' needs '${Inputs.UnmaskedReason}': why this image may hold unmasked personal data (recorded in the manifest).`,
    );
  return { reason };
}
