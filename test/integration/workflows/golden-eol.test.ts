// Asks git how the SQL Server golden files check out (a child process: integration tier).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../../..");

it("golden files check out as generated under core.autocrlf=true (.gitattributes), so the Windows unit step compares like Linux", () => {
  const r = spawnSync("git", ["check-attr", "eol", "text", "--", "test/golden/sqlserver/scrub.sql", "test/golden/sqlserver/vhdx-list.ps1"], {
    cwd: root,
    encoding: "utf8",
  });
  expect(r.stdout).toBe(
    "test/golden/sqlserver/scrub.sql: eol: lf\ntest/golden/sqlserver/scrub.sql: text: set\n" +
      // Generated CRLF: never converted either way.
      "test/golden/sqlserver/vhdx-list.ps1: eol: lf\ntest/golden/sqlserver/vhdx-list.ps1: text: unset\n",
  );
});
