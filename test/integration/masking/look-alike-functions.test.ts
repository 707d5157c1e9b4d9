// What decides what is masked and what is a leak does not run the data's look-alike functions: the
// PII scan reads the catalogs in a catalog-only session (engine/postgres/masking/target.ts), so a
// public.format_type(oid, text) — which an unknown NULL argument resolves to ahead of pg_catalog's
// (oid, integer) — cannot hide a composite column holding e-mail addresses from the scan.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inventory } from "../../../packages/core/src/engine/postgres/inventory.js";
import { postgresMasking } from "../../../packages/core/src/engine/postgres/masking/target.js";
import type { RunningServer } from "../../../packages/core/src/engine/types.js";
import { scratchServer, type Scratch } from "./fixture.js";

let scratch: Scratch;
let server: RunningServer;

beforeAll(async () => {
  scratch = await scratchServer();
  server = { ...scratch.server, host: "" };
  await scratch.sql("postgres", "CREATE DATABASE lookalike");
  await scratch.sql(
    "lookalike",
    `CREATE TYPE contact AS (label text, address text);
     CREATE TABLE notes (id int PRIMARY KEY, who contact);
     INSERT INTO notes SELECT g, ROW('home', 'person' || g || '@example.org')::contact FROM generate_series(1, 50) g;
     CREATE FUNCTION public.format_type(oid, text) RETURNS text LANGUAGE sql AS $f$ SELECT 'nothing' $f$;`,
  );
}, 120_000);

afterAll(async () => {
  await scratch?.close();
});

describe("look-alike functions in the data", () => {
  it("do not hide a composite column of e-mail addresses from the PII scan", async () => {
    // The premise: in a default session the look-alike is the one called.
    expect((await scratch.sql("lookalike", "SELECT format_type('int4'::regtype, NULL) AS t")).rows[0].t).toBe("nothing");
    const databases = (await inventory(server)).filter((d) => d.name === "lookalike");
    const found = await postgresMasking(server).scanUnmaskedPii(databases, []);
    expect(found.filter((c) => c.table === "notes").map((c) => [c.column, c.kinds])).toEqual([["who", ["email"]]]);
  }, 60_000);
});
