import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkDumpScript } from "../../../packages/core/src/engine/postgres/dumpScript.js";
import { SourceError } from "../../../packages/core/src/errors.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-script-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const script = (body: string): string => {
  const p = path.join(dir, `s${n++}.sql`);
  writeFileSync(p, `--\n-- PostgreSQL database dump\n--\n${body}`, "latin1");
  return p;
};

describe("psql backslash commands in a SQL dump", () => {
  it("accepts what pg_dump and pg_dumpall write, backslashes in data and code included", async () => {
    const file = script(
      [
        "\\restrict AbC123",
        "SET standard_conforming_strings = on;",
        "COMMENT ON TABLE t IS 'a path C:\\dir\\file';",
        "CREATE FUNCTION f(text) RETURNS bool LANGUAGE sql AS $_$SELECT $1 ~ '^\\d+$'$_$;",
        "CREATE TABLE \"we\\ird\" (x text DEFAULT E'line\\nbreak\\'s');",
        "/* a comment with \\ in it /* nested \\ */ still */ SELECT 1;",
        "SELECT 1; -- a trailing comment with \\! in it",
        "COPY public.t (a, b) FROM stdin;",
        "\\N\tback\\\\slash\ttab\\there",
        "\\!\tlooks like a command but is COPY data",
        "\\.",
        "\\connect -reuse-previous=on \"dbname='shop'\"",
        "\\connect template1",
        "SELECT 'multi",
        "\\line string';",
        "\\unrestrict AbC123",
        "",
      ].join("\n"),
    );
    await expect(checkDumpScript(file)).resolves.toEqual({ restricts: true, connects: true });
  });

  it.each([
    ["a shell escape", "\\! touch /tmp/x\n", 4],
    ["a command after a statement", "SELECT 1; \\! id\n", 4],
    ["an output pipe", "SELECT 1;\n\\o |sh\n", 5],
    ["a command in a statement", "SELECT\n\\gexec\n", 5],
    ["backticks in \\connect", "\\connect `id`\n", 4],
    ["an include", "\\i /etc/passwd\n", 4],
    ["a string ended early when standard_conforming_strings is on", "SELECT 'abc\\'; \\! id --';\n", 4],
    ["a string ended early when it is off", "SET standard_conforming_strings = off;\nSELECT 'x\\' \\! id';\n", 5],
    ["text after COPY … FROM stdin", "COPY t FROM stdin; SELECT 1;\n\\.\n", 4],
    ["COPY data that never ends", "COPY t FROM stdin;\n1\n", 5],
    ["a dollar-quote that is an identifier", "SELECT a$b$ \\! id $b$;\n", 4],
  ])("refuses %s, naming the line", async (_what, body, line) => {
    const file = script(body);
    const err = await checkDumpScript(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toContain(`${file}, line ${line}:`);
  });

  it("ends COPY data at \\. with a carriage return, as psql does, and checks what follows", async () => {
    await expect(checkDumpScript(script("COPY t FROM stdin;\n1\n\\.\r\n\\! id\n"))).rejects.toThrow(/line 7:/);
  });
});
