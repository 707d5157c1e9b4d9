// CI's promise that nothing skipped: with DBCLONE_REQUIRE_ALL_TESTS=1 a run that skipped any test
// fails and names the tests; without it, the same run passes (skips are allowed on a laptop).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
function runFixture(requireAll: boolean) {
  const env = { ...process.env, DBCLONE_REQUIRE_ALL_TESTS: requireAll ? "1" : "", NO_COLOR: "1", FORCE_COLOR: "0" };
  const r = spawnSync(process.execPath, [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "--config", "test/fixtures/require-all/vitest.config.ts"], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe("DBCLONE_REQUIRE_ALL_TESTS", () => {
  it("fails a run that skipped tests, naming each of them", () => {
    const r = runFixture(true);
    expect(r.code).toBe(1);
    expect(r.output).toContain("DBCLONE_REQUIRE_ALL_TESTS=1 but 3 test(s) were skipped");
    expect(r.output).toContain("skipped: test/fixtures/require-all/skips.fixture.ts > an it.skip left in");
    expect(r.output).toContain("skipped: test/fixtures/require-all/skips.fixture.ts > a skipIf that forgot requireOrSkip > never runs");
    expect(r.output).toContain("skipped: test/fixtures/require-all/skips.fixture.ts > skips itself at run time");
  });

  it("lets the same run pass where skips are allowed", () => {
    const r = runFixture(false);
    expect(r.output).not.toContain("were skipped; every test must run");
    expect(r.code).toBe(0);
  });
});
