// The engines' side of masking, by engine kind: the second half of the registry, kept apart from
// registry.ts so that what clones and tears down (clone-db, teardown bundles) never loads the
// masking code; only builds and scans import this file.
import { postgresMasking } from "../engine/postgres/masking/target.js";
import { sqlServerHost } from "../engine/sqlserver/host.js";
import { sqlServerMasking } from "../engine/sqlserver/masking-target.js";
import type { RunningServer } from "../engine/types.js";
import type { MaskingTarget } from "../masking/port.js";
import type { EngineKind } from "./registry.js";

const MASKING: Record<EngineKind, (server: RunningServer) => MaskingTarget> = {
  postgres: postgresMasking,
  // Through the injected host's connection, like its build steps (tests pass the fake host).
  sqlserver: (server) => sqlServerMasking(sqlServerHost(), server),
};

/** The engine's masking of a running server, driven by masking/build-step.ts. */
export function maskingFor(kind: EngineKind, server: RunningServer): MaskingTarget {
  return MASKING[kind](server);
}
