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
  mutate: [
    "packages/core/src/masking/build-step.ts",
    "packages/core/src/masking/leak-scan/scan-file.ts",
    "packages/core/src/audit/chain.ts",
    "packages/core/src/audit/log.ts",
    "packages/core/src/repository/oci/blob-download.ts",
    "packages/core/src/repository/verified-blobs.ts",
    "packages/core/src/repository/fs-publish.ts",
    "packages/core/src/clones/lifecycle.ts",
    "packages/core/src/clones/ttl.ts",
    "packages/core/src/access/enforce.ts",
    "packages/core/src/access/policy.ts",
    "actions/shared/reporter.ts",
    "packages/cli/src/terminal-reporter.ts",
    "packages/core/src/masking/policy/resolve-policy.ts",
  ],
  ignorePatterns: ["dist", "bench", "coverage", "reports", ".stryker-tmp", "workflows-examples"],
  // Static mutants (module-level constants) would rerun every test each: skipped, listed as ignored.
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 30_000,
  reporters: ["clear-text", "progress", "json", "html"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
