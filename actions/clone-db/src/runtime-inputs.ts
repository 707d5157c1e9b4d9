// clone-db's runtime inputs: where the clone's server runs (host process or Docker container).
import { UsageError } from "../../../packages/core/src/errors.js";
import type { DockerRuntimeOptions } from "../../../packages/core/src/runtime/index.js";
import { optionalInput, parseChoice } from "../../shared/inputs.js";
import { Inputs } from "./constants.js";

export interface RuntimeInputs {
  runtime: "host" | "docker";
  /** The clone's disk driver; unset: the host's default. */
  disk?: "qcow2" | "reflink";
  /** Set for runtime docker only. */
  docker?: DockerRuntimeOptions;
}

const SIZE = /^\d+(\.\d+)?\s*[kmgt]?i?b?$/i;

export function readRuntimeInputs(): RuntimeInputs {
  const runtime = parseChoice(optionalInput(Inputs.Runtime) ?? "host", Inputs.Runtime, ["host", "docker"] as const);
  const diskText = optionalInput(Inputs.Disk);
  const disk = diskText !== undefined ? parseChoice(diskText, Inputs.Disk, ["qcow2", "reflink"] as const) : undefined;
  const image = optionalInput(Inputs.DockerImage);
  const memory = optionalInput(Inputs.Memory);
  const cpusText = optionalInput(Inputs.Cpus);
  if (runtime === "host") {
    const given = [image && Inputs.DockerImage, memory && Inputs.Memory, cpusText && Inputs.Cpus].filter(Boolean);
    if (given.length) throw new UsageError(`Inputs ${given.map((g) => `'${g}'`).join(", ")} apply only with '${Inputs.Runtime}: docker'.`);
    return { runtime, disk };
  }
  if (memory !== undefined && !SIZE.test(memory)) throw new UsageError(`Input '${Inputs.Memory}' must be a size such as 512m or 2g, got '${memory}'.`);
  const cpus = cpusText !== undefined ? Number(cpusText) : undefined;
  if (cpus !== undefined && !(cpus > 0)) throw new UsageError(`Input '${Inputs.Cpus}' must be a positive number such as 1 or 1.5, got '${cpusText}'.`);
  return { runtime, disk, docker: { image, memory, cpus } };
}
