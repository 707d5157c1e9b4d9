// Mutation testing of the safety gates (docs/testing.md): `npm run mutate`. StrykerJS 9 (10 needs
// Node 22); no TypeScript checker (TypeScript 7 has no compiler API), so a mutant that does not
// type-check still runs and is usually killed at run time.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "test/mutation/vitest.config.ts", related: false },
  coverageAnalysis: "perTest",
  // Stryker rewrites tsconfig.json through the TypeScript API, which TypeScript 7 lacks; vitest
  // does not read it, so point Stryker at no tsconfig at all.
  tsconfigFile: "stryker-has-no-tsconfig.json",
  // The gate modules (issue #21, docs/testing.md), and nothing else. Clone identity: a new clone's
  // in clones/session.ts, a reused one's in clones/named-clone.ts; lifecycle.ts chooses between them.
  mutate: [
    // the leak scan and its gate
    "packages/core/src/masking/leak-scan/*.ts",
    "packages/core/src/masking/build-step.ts",
    // audit chain and verify
    "packages/core/src/audit/chain.ts",
    "packages/core/src/audit/verify-chain.ts",
    "packages/core/src/audit/log.ts",
    // repository digest and publish checks, fs and OCI (descriptor validation is a trust-boundary check)
    "packages/core/src/repository/fs-publish.ts",
    "packages/core/src/repository/verified-blobs.ts",
    "packages/core/src/repository/oci/blob-download.ts",
    "packages/core/src/repository/oci/descriptor.ts",
    // access decisions and their enforcement
    "packages/core/src/access/policy.ts",
    "packages/core/src/access/enforce.ts",
    // secret registration in the actions' and the CLI's reporters
    "actions/shared/reporter.ts",
    "packages/cli/src/terminal-reporter.ts",
    // masking policy resolution
    "packages/core/src/masking/policy/resolve-policy.ts",
    // trust-boundary hostile-input checks
    "packages/core/src/engine/postgres/dataDirLinks.ts",
    "packages/core/src/engine/postgres/config.ts",
    "packages/core/src/disk/vhdx/scripts.ts",
    // clone identity, reuse and TTL capping
    "packages/core/src/clones/{lifecycle,session,record,named-clone}.ts",
    "packages/core/src/clones/ttl.ts",
  ],
  ignorePatterns: ["dist", "bench", "coverage", "reports", ".stryker-tmp*", "workflows-examples"],
  // Static mutants (module-level constants such as engine/postgres/config.ts's HARDENED_SETTINGS) are
  // scored: the vitest runner switches a static mutant on in its setup file, before the test files
  // import the module, so each one runs in a fresh test process against every selected test.
  ignoreStatic: false,
  // 2 cores shared: `npx stryker run --concurrency 1 --mutate <file>` with DBCLONE_MUTATE_TESTS for one file.
  concurrency: 2,
  timeoutMS: 30_000,
  reporters: ["clear-text", "progress", "json", "html"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
