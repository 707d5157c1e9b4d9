import { defineConfig } from "vitest/config";

// The tests Stryker runs against each mutant of the gate modules (stryker.config.mjs). Only
// hermetic unit tests of those gates: one mutation run must fit on 2 cores.
// DBCLONE_MUTATE_TESTS (comma-separated paths) narrows the set for a run over one or a few gate
// files (`DBCLONE_MUTATE_TESTS=test/unit/clones/ttl.test.ts npx stryker run --mutate packages/core/src/clones/ttl.ts`).
export const gateTests = [
  // audit chain and verify
  "test/unit/audit/log.test.ts",
  "test/unit/audit/forged-history.test.ts",
  "test/unit/audit/chain-lines.test.ts",
  "test/unit/audit/torn-and-keyed.test.ts",
  "test/unit/audit/damaged-log.test.ts",
  // masking policy resolution
  "test/unit/masking/policy.test.ts",
  "test/unit/masking/policy-resolution.test.ts",
  "test/unit/masking/fk-family.test.ts",
  "test/unit/masking/same-names.test.ts",
  "test/unit/sqlserver/masking.test.ts",
  // the leak scan and its gate
  "test/unit/masking/leak-scan-gate.test.ts",
  "test/unit/masking/build-step-masking.test.ts",
  "test/unit/masking/build-step-leak.test.ts",
  "test/unit/masking/build-step-gate.test.ts",
  "test/unit/masking/pattern-set.test.ts",
  "test/unit/sqlserver/leak-gate.test.ts",
  "test/unit/masking/unmasked-images.test.ts",
  "test/unit/masking/originals-spill.test.ts",
  "test/unit/masking/leak-scan/residue-scan.test.ts",
  "test/unit/masking/leak-scan/residue-cover.test.ts",
  "test/unit/masking/leak-scan/pg-page.test.ts",
  "test/unit/masking/leak-scan/verdict.test.ts",
  "test/unit/masking/leak-scan/explain.test.ts",
  "test/unit/masking/leak-scan/originals.test.ts",
  "test/unit/masking/leak-scan/originals-collector.test.ts",
  // the data-file residue count: one dead tuple on real PostgreSQL (~10 s)
  "test/integration/masking/dead-tuple-gate.test.ts",
  // clone identity, reuse, TTL capping and undo, on a fake platform (the same on real PostgreSQL:
  // test/integration/clones/identity-and-ttl.test.ts, not in this set)
  "test/unit/clones/clone-gates.test.ts",
  "test/unit/clones/clone-session.test.ts",
  "test/unit/clones/clone-named.test.ts",
  "test/unit/clones/clone-undo.test.ts",
  "test/unit/clones/ttl.test.ts",
  "test/unit/clones/ttl-gate.test.ts",
  "test/unit/clones/record.test.ts",
  "test/integration/sqlserver/ttl-cap.test.ts",
  // access decisions and enforcement
  "test/unit/github/access.test.ts",
  "test/unit/access/access-gate.test.ts",
  // secret registration in the reporters
  "test/unit/actions/reporter.test.ts",
  "test/unit/actions/reporter-progress.test.ts",
  "test/unit/cli/terminal-reporter.test.ts",
  "test/unit/cli/terminal-progress.test.ts",
  // repository digest and publish checks; registry answers
  "test/unit/repository/fs.test.ts",
  "test/unit/repository/publish-accidents.test.ts",
  "test/unit/repository/no-hard-links.test.ts",
  "test/unit/util/stamped-digests.test.ts",
  "test/unit/oci/descriptor.test.ts",
  "test/unit/oci/hostile-answers.test.ts",
  "test/unit/oci/hostile-blob.test.ts",
  "test/unit/oci/tag-and-digest-grammar.test.ts",
  // trust-boundary hostile-input checks
  "test/unit/engine/config.test.ts",
  "test/unit/engine/hardened-settings.test.ts",
  "test/unit/engine/image-datadir.test.ts",
  "test/integration/engine/server-files.test.ts",
  "test/unit/vhdx/vhdx-driver.test.ts",
  "test/unit/vhdx/diskpart-paths.test.ts",
];

const only = process.env.DBCLONE_MUTATE_TESTS?.split(",")
  .map((s) => s.trim())
  .filter(Boolean);

export default defineConfig({
  test: {
    include: only?.length ? only : gateTests,
    pool: "forks",
    maxWorkers: 1,
    testTimeout: 60_000,
  },
});
