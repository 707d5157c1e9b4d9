// Planner statistics hold column values (most common values, histogram bounds, extended MCV lists).
// A data-directory source brings the source's statistics along; ANALYZE after masking replaces a
// column's row only when it gathers that column again — never for a column or statistics object
// whose target is 0, nor for a table it samples empty. The scrub must leave no statistic of the
// unmasked data: the published data files hold none of the originals, and the leak scan finds nothing.
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withAdmin } from "../../../packages/core/src/engine/postgres/client.js";
import { parsePolicy } from "../../../packages/core/src/masking/index.js";
import { scratchShopDump, type Scratch } from "./fixture.js";
import { runMaskingPipeline, withPipeline } from "./leak-pipeline.js";

const key = Buffer.from("statistics-residue-key-0123456789");
const POLICY = `onUnmaskedPii: warn
databases:
  shop:
    tables:
      customers:
        columns:
          email: email
          city: { transformer: address, part: city }
`;
const ORIGINAL_EMAILS = Array.from({ length: 40 }, (_, i) => `stat${i + 1}@residue.test`);
const ORIGINAL_CITY = "Zzyzxtown";
let scratch: Scratch;
let dump: string;

beforeAll(async () => {
  ({ scratch, dump } = await scratchShopDump(
    `CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, city text NOT NULL);
     INSERT INTO customers SELECT g, 'stat' || g || '@residue.test', CASE WHEN g % 2 = 0 THEN '${ORIGINAL_CITY}' ELSE 'Other' || g END
     FROM generate_series(1, 40) g;`,
  ));
}, 600_000);

afterAll(async () => {
  await scratch?.close();
});

async function filesHolding(root: string, needles: string[]): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) {
        const bytes = await readFile(full);
        if (needles.some((n) => bytes.includes(n))) found.push(path.relative(root, full));
      }
    }
  };
  await walk(root);
  return found;
}

describe("scrub: statistics of the unmasked data", () => {
  it("leaves none, even for a column and a statistics object whose target is 0 (ANALYZE skips them)", async () => {
    await withPipeline(
      runMaskingPipeline({
        dump,
        policy: parsePolicy(POLICY, "policy.yml"),
        key,
        // What a data-directory source looks like: statistics gathered on the originals, then
        // targets set to 0 so a later ANALYZE keeps them as they are.
        beforeMask: (server) =>
          withAdmin(server, "shop", async (c) => {
            await c.query("CREATE STATISTICS customers_mcv (mcv) ON email, city FROM customers");
            await c.query("ANALYZE customers");
            const held = await c.query(
              "SELECT count(*)::int AS n FROM pg_stats WHERE tablename = 'customers' AND attname = 'email' AND histogram_bounds IS NOT NULL",
            );
            expect(held.rows[0].n).toBe(1);
            await c.query("ALTER TABLE customers ALTER COLUMN email SET STATISTICS 0, ALTER COLUMN city SET STATISTICS 0");
            await c.query("ALTER STATISTICS customers_mcv SET STATISTICS 0");
          }),
      }),
      async (r) => {
        expect(r.masked.leak!.files.unexplainedCount).toBe(0);
        expect(await filesHolding(r.freshRoot, [...ORIGINAL_EMAILS, ORIGINAL_CITY])).toEqual([]);
      },
    );
  }, 600_000);
});
