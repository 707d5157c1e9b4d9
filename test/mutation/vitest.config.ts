import { defineConfig } from "vitest/config";

// The tests Stryker runs against each mutant of the gate modules (stryker.config.mjs). Only
// hermetic unit tests of those gates: one mutation run must fit in ~30 minutes on 2 cores.
export const gateTests = [
  "test/unit/audit/log.test.ts",
  "test/unit/audit/forged-history.test.ts",
  "test/unit/masking/policy.test.ts",
  "test/unit/masking/fk-family.test.ts",
  "test/unit/sqlserver/leak-gate.test.ts",
  "test/unit/sqlserver/ttl-cap.test.ts",
  "test/unit/masking/leak-scan-gate.test.ts",
  "test/unit/audit/chain-lines.test.ts",
  "test/unit/clones/ttl.test.ts",
  "test/unit/github/access.test.ts",
  "test/unit/actions/reporter.test.ts",
  "test/unit/cli/terminal-reporter.test.ts",
  "test/unit/repository/fs.test.ts",
  "test/unit/sqlserver/routing.test.ts",
];

export default defineConfig({
  test: {
    include: gateTests,
    pool: "forks",
    maxWorkers: 1,
    testTimeout: 60_000,
  },
});
