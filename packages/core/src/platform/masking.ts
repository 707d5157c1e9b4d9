// The engines' side of masking, by engine kind: the second half of the registry, kept apart from
// registry.ts so that what clones and tears down (clone-db, teardown bundles) never loads the
// masking code; only builds and scans import this file.
import { postgresMasking } from "../engine/postgres/masking/target.js";
import type { RunningServer } from "../engine/types.js";
import { NotSupportedError } from "../errors.js";
import type { MaskingTarget } from "../masking/port.js";
import type { EngineKind } from "./registry.js";

const MASKING: Record<EngineKind, ((server: RunningServer) => MaskingTarget) | undefined> = {
  postgres: postgresMasking,
  // SQL Server masks inside its own build (engine/sqlserver/build.ts → masking.ts) until it runs this pipeline.
  sqlserver: undefined,
};

/** The engine's masking of a running server, driven by masking/build-step.ts. */
export function maskingFor(kind: EngineKind, server: RunningServer): MaskingTarget {
  const make = MASKING[kind];
  if (!make) throw new NotSupportedError(`${kind} images are masked by their own build path (engine/sqlserver/build.ts).`);
  return make(server);
}
