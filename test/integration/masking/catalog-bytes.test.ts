// Copies of masked originals that sit in the system catalogs in a form the catalog's text does not
// show: a large object's pages and a trigger's arguments (bytea), a fast default (anyarray), and
// constants inside stored expression trees (a view's WHERE, a column default), which PostgreSQL
// keeps as their bytes printed in decimal. Each is readable from the published image, so each is
// a copy of a high-cardinality masked column: the build must refuse, naming the catalog column and
// never the value.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withAdmin } from "../../../packages/core/src/engine/postgres/client.js";
import { LeakFoundError, UnscannableDatabaseError, parsePolicy } from "../../../packages/core/src/masking/index.js";
import { scratchShopDump, type Scratch } from "./fixture.js";
import { pipelineFailure } from "./leak-pipeline.js";

const key = Buffer.from("catalog-bytes-key-0123456789");
const POLICY = `onUnmaskedPii: warn
databases:
  shop:
    tables:
      customers:
        columns:
          email: email
`;
// Each hiding place quotes a different original, so each finding is its own.
const ORIGINAL = (n: number) => `hidden${n}@catalog-bytes.test`;
let scratch: Scratch;
let dump: string;

beforeAll(async () => {
  ({ scratch, dump } = await scratchShopDump(
    `CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE NOT NULL);
     INSERT INTO customers SELECT g, 'hidden' || g || '@catalog-bytes.test' FROM generate_series(1, 60) g;
     CREATE TABLE notes (id int PRIMARY KEY);
     INSERT INTO notes VALUES (1);`,
  ));
}, 600_000);

afterAll(async () => {
  await scratch?.close();
});

const plantings: Record<string, (n: number) => string> = {
  "pg_largeobject.data": (n) => `SELECT lo_from_bytea(0, convert_to('scanned letter from ${ORIGINAL(n)} about an order', 'UTF8'))`,
  "pg_trigger.tgargs": (n) =>
    `CREATE FUNCTION notes_audit() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
     CREATE TRIGGER notes_audit BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION notes_audit('${ORIGINAL(n)}')`,
  "pg_attribute.attmissingval": (n) => `ALTER TABLE notes ADD COLUMN owner text DEFAULT '${ORIGINAL(n)}'`,
  "pg_rewrite.ev_action": (n) => `CREATE VIEW vip AS SELECT id FROM customers WHERE email = '${ORIGINAL(n)}'`,
  "pg_attrdef.adbin": (n) => `ALTER TABLE notes ADD COLUMN contact text; ALTER TABLE notes ALTER COLUMN contact SET DEFAULT '${ORIGINAL(n)}'`,
};

describe("leak scan: originals in catalog bytes", () => {
  it("refuses to publish, naming each hiding place as a copy of the masked column and no value", async () => {
    const places = Object.keys(plantings);
    const error = await pipelineFailure({
      dump,
      policy: parsePolicy(POLICY, "policy.yml"),
      key,
      beforeMask: (server) =>
        withAdmin(server, "shop", async (c) => {
          for (const [i, place] of places.entries()) await c.query(plantings[place]!(i + 1));
        }),
    });
    expect(error).toBeInstanceOf(LeakFoundError);
    const message = (error as Error).message;
    expect(message).toMatch(/^unmasked columns hold copies of masked personal data, so nothing was published/);
    for (const place of places)
      expect(message).toMatch(
        new RegExp(`shop\\.pg_catalog\\.${place.replace(".", "\\.")} holds \\d+ value\\(s\\) of masked shop\\.public\\.customers\\.email`),
      );
    for (let n = 1; n <= places.length; n++) expect(message).not.toContain(ORIGINAL(n));
  }, 600_000);

  it("refuses to publish a database that refuses connections, which it cannot read, naming it", async () => {
    const error = await pipelineFailure({
      dump,
      policy: parsePolicy(POLICY, "policy.yml"),
      key,
      beforeMask: async (server) => {
        await withAdmin(server, "postgres", (c) => c.query("CREATE DATABASE archive"));
        await withAdmin(server, "archive", (c) => c.query(`CREATE TABLE old_customers AS SELECT '${ORIGINAL(1)}'::text AS email`));
        await withAdmin(server, "postgres", (c) => c.query("ALTER DATABASE archive ALLOW_CONNECTIONS false"));
      },
    });
    expect(error).toBeInstanceOf(UnscannableDatabaseError);
    expect((error as Error).message).toMatch(/^the leak scan cannot read database\(s\) "archive": they refuse connections/);
    expect((error as Error).message).not.toContain(ORIGINAL(1));
  }, 600_000);
});
