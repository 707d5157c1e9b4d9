import { describe, expect, it } from "vitest";
import { CommandError } from "../../../packages/core/src/errors.js";
import { run } from "../../../packages/core/src/runtime/exec.js";
import { withoutDataLines } from "../../../packages/core/src/runtime/errorText.js";

const PG_RESTORE = [
  'pg_restore: error: could not execute query: ERROR:  duplicate key value violates unique constraint "users_email_key"',
  "DETAIL:  Key (email)=(alice@example.com) already exists.",
  'CONTEXT:  COPY users, line 3: "3\talice@example.com\tAlice"',
  "Command was: INSERT INTO public.users VALUES (3, 'alice@example.com',",
  "  'Alice');",
  "pg_restore: warning: errors ignored on restore: 1",
].join("\n");

const PSQL = [
  'psql:<stdin>:42: ERROR:  invalid input value for enum mood: "furious"',
  "LINE 1: INSERT INTO people VALUES ('bob@example.com', 'furious');",
  "                                                         ^",
  'psql:<stdin>:42: CONTEXT:  COPY people, line 1: "bob@example.com"',
].join("\n");

describe("PostgreSQL error text that reaches a log", () => {
  it("loses DETAIL, CONTEXT, LINE, carets and pg_restore's Command was, keeps the error lines", () => {
    const out = withoutDataLines(PG_RESTORE);
    expect(out).not.toContain("alice@example.com");
    expect(out).toContain('violates unique constraint "users_email_key"');
    expect(out).toContain("pg_restore: warning: errors ignored on restore: 1");
    expect(out).toMatch(/4 line\(s\) of detail that may echo data values left out/);
    const psql = withoutDataLines(PSQL);
    expect(psql).not.toContain("bob@example.com");
    expect(psql).toContain("psql:<stdin>:42: ERROR:");
  });

  it("leaves text without such lines as it was", () => {
    expect(withoutDataLines("initdb: error: directory exists")).toBe("initdb: error: directory exists");
  });

  it("applies to every failed command's error message", async () => {
    const stderr = "ERROR:  boom\nDETAIL:  Key (email)=(carol@example.com) exists.\n";
    const err = await run("sh", ["-c", "cat >&2; exit 3"], { input: stderr }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as Error).message).toContain("ERROR:  boom");
    expect((err as Error).message).not.toContain("carol@example.com");
  });
});
