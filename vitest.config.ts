import { configDefaults, defineConfig } from "vitest/config";

// Integration and e2e tests start real PostgreSQL servers, qemu-storage-daemons and mounts:
// they get generous timeouts, and at most two test files run at once (this machine has 2 cores).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Stryker's sandbox copies the tests: never pick those copies up.
    exclude: [...configDefaults.exclude, ".stryker-tmp*/**"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // require-all-reporter: under DBCLONE_REQUIRE_ALL_TESTS=1 (CI) a run that skipped a test fails.
    reporters: ["default", "./test/require-all-reporter.ts"],
    // hermetic-unit: in test/unit, spawning a process or listening on a fixed port throws.
    setupFiles: ["./test/hermetic-unit.ts"],
  },
});
