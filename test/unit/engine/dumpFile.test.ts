import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { databaseNameFromFile, detectDumpKind, parseTocHeader } from "../../../packages/core/src/engine/postgres/dumpFile.js";
import { rolesNamedInScript } from "../../../packages/core/src/engine/postgres/restoreDump.js";
import { SourceError } from "../../../packages/core/src/errors.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "dbclone-dumpkind-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer): string => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe("detectDumpKind", () => {
  it("recognises each format by its bytes", async () => {
    expect(await detectDumpKind(file("a.bin", Buffer.concat([Buffer.from("PGDMP"), Buffer.alloc(50)])))).toBe("custom");
    expect(await detectDumpKind(file("b.txt", "--\n-- PostgreSQL database dump\n--\nSET x = 1;\n"))).toBe("plain");
    expect(await detectDumpKind(file("c.txt", "--\n-- PostgreSQL database cluster dump\n--\n"))).toBe("dumpall");
    const tar = Buffer.alloc(1024);
    tar.write("toc.dat", 0);
    tar.write("ustar", 257);
    expect(await detectDumpKind(file("d.tar", tar))).toBe("tar");
    mkdirSync(path.join(dir, "dirdump"));
    writeFileSync(path.join(dir, "dirdump", "toc.dat"), "PGDMP");
    expect(await detectDumpKind(path.join(dir, "dirdump"))).toBe("directory");
  });

  it("says what it expected for anything else", async () => {
    await expect(detectDumpKind(file("e.txt", "hello"))).rejects.toThrow(/is not a PostgreSQL dump \(expected a pg_dump custom archive/);
    await expect(detectDumpKind(file("f.gz", Buffer.from([0x1f, 0x8b, 8, 0])))).rejects.toThrow(/gzip-compressed/);
    await expect(detectDumpKind(path.join(dir, "missing"))).rejects.toBeInstanceOf(SourceError);
    mkdirSync(path.join(dir, "emptydir"));
    await expect(detectDumpKind(path.join(dir, "emptydir"))).rejects.toThrow(/without toc.dat/);
  });
});

describe("names from dumps", () => {
  it("reads the database and version from a pg_restore -l header", () => {
    const listing =
      ";\n; Archive created at 2024-01-01\n;     dbname: shop\n;     TOC Entries: 40\n;     Dumped from database version: 15.18 (Debian 15.18-0+deb12u1)\n";
    expect(parseTocHeader(listing)).toEqual({ database: "shop", version: "15.18" });
  });

  it("derives a database name from a file name", () => {
    expect(databaseNameFromFile("/x/shop.sql")).toBe("shop");
    expect(databaseNameFromFile("/x/prod-2024.dump")).toBe("prod-2024");
  });

  it("finds roles a plain dump assigns as owners or grantees", async () => {
    const p = file(
      "owners.sql",
      'ALTER TABLE public.t OWNER TO app_owner;\nALTER SCHEMA s OWNER TO "Mixed ""Role""";\nGRANT SELECT ON TABLE public.t TO reader, PUBLIC;\nSELECT 1;\n',
    );
    expect([...(await rolesNamedInScript(p))].sort()).toEqual(['Mixed "Role"', "app_owner", "reader"]);
  });
});
