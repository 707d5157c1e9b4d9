import { defineConfig } from "vitest/config";

// The tests Stryker runs against each mutant of the gate modules (stryker.config.mjs). Only
// hermetic unit tests of those gates: one mutation run must fit on 2 cores.
// DBCLONE_MUTATE_TESTS (comma-separated paths) narrows the set for a run over one or a few gate
// files (`DBCLONE_MUTATE_TESTS=test/unit/clones/ttl.test.ts npx stryker run --mutate packages/core/src/clones/ttl.ts`).
export const gateTests = [
  "test/unit/audit/log.test.ts",
  "test/unit/audit/forged-history.test.ts",
  "test/unit/audit/chain-lines.test.ts",
  "test/unit/masking/policy.test.ts",
  "test/unit/masking/fk-family.test.ts",
  "test/unit/masking/leak-scan-gate.test.ts",
  "test/unit/masking/pattern-set.test.ts",
  "test/unit/sqlserver/leak-gate.test.ts",
  "test/integration/sqlserver/ttl-cap.test.ts",
  "test/integration/sqlserver/routing.test.ts",
  "test/unit/clones/ttl.test.ts",
  "test/unit/github/access.test.ts",
  "test/unit/actions/reporter.test.ts",
  "test/unit/cli/terminal-reporter.test.ts",
  "test/unit/repository/fs.test.ts",
  "test/unit/oci/descriptor.test.ts",
  "test/unit/vhdx/vhdx-driver.test.ts",
  "test/unit/engine/config.test.ts",
];

const only = process.env.DBCLONE_MUTATE_TESTS?.split(",").map((s) => s.trim()).filter(Boolean);

export default defineConfig({
  test: {
    include: only?.length ? only : gateTests,
    pool: "forks",
    maxWorkers: 1,
    testTimeout: 60_000,
  },
});
