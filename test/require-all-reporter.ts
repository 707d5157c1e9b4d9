// With DBCLONE_REQUIRE_ALL_TESTS=1 (CI), a run that skipped any test fails, naming each skipped
// test: a skipIf that forgot requireOrSkip, an it.skip left in, a ctx.skip() all count.
import type { Reporter, TestModule } from "vitest/node";

export function skippedTests(modules: ReadonlyArray<TestModule>): string[] {
  const out: string[] = [];
  for (const m of modules) {
    for (const t of m.children.allTests()) {
      const state = t.result().state;
      if (state === "skipped" || state === "pending") out.push(`${m.moduleId.replace(`${process.cwd()}/`, "")} > ${t.fullName}`);
    }
  }
  return out;
}

export default class RequireAllReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    if (process.env.DBCLONE_REQUIRE_ALL_TESTS !== "1") return;
    const skipped = skippedTests(modules);
    if (skipped.length === 0) return;
    process.stderr.write(
      `\nDBCLONE_REQUIRE_ALL_TESTS=1 but ${skipped.length} test(s) were skipped; every test must run here:\n` +
        skipped.map((s) => `  skipped: ${s}\n`).join("") +
        "Install what they need (.ci/run) or remove the skip.\n",
    );
    process.exitCode = 1;
  }
}
